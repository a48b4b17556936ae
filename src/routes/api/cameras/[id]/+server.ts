import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireAdmin, requireUser } from '$lib/server/auth/principal';
import { CAMERA_FIELDS, deleteCamera, updateCamera, visibleCamera } from '$lib/server/cameras/cameras';
import { adminCamera, viewerCamera } from '$lib/server/cameras/views';
import { live } from '$lib/server/hub/live';

export const GET: RequestHandler = endpoint(async ({ params, locals, url }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	const status = live.status(camera.id);
	return json(user.role === 'admin' ? adminCamera(camera, url, status) : viewerCamera(camera, status));
});

export const PATCH: RequestHandler = endpoint(async ({ params, request, locals, url }) => {
	requireAdmin(await locals.auth());
	const body = await readJsonObject(request);
	onlyFields(body, CAMERA_FIELDS);
	const camera = await updateCamera(params.id, body);
	return json(adminCamera(camera, url, live.status(camera.id)));
});

export const DELETE: RequestHandler = endpoint(async ({ params, locals }) => {
	requireAdmin(await locals.auth());
	await deleteCamera(params.id);
	return new Response(null, { status: 204 });
});

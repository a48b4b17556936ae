import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { LAYOUT_FIELDS, deleteLayout, getLayout, layoutView, replaceLayout, visibleIds } from '$lib/server/layouts/layouts';

export const GET: RequestHandler = endpoint(async ({ params, locals }) => {
	const user = requireUser(await locals.auth());
	return json(layoutView(await getLayout(user, params.id), await visibleIds(user)));
});

export const PUT: RequestHandler = endpoint(async ({ params, request, locals }) => {
	const user = requireUser(await locals.auth());
	const body = await readJsonObject(request);
	onlyFields(body, LAYOUT_FIELDS);
	return json(await replaceLayout(user, params.id, body));
});

export const DELETE: RequestHandler = endpoint(async ({ params, locals }) => {
	const user = requireUser(await locals.auth());
	await deleteLayout(user, params.id);
	return new Response(null, { status: 204 });
});

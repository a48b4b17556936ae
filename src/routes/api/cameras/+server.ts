import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { badRequest, endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireAdmin, requireUser } from '$lib/server/auth/principal';
import { CAMERA_FIELDS, createCamera, visibleCameras } from '$lib/server/cameras/cameras';
import { adminCamera, cameraFeatureCollection, listedCamera } from '$lib/server/cameras/views';

// Document 000: cameras with coordinates (all=true: every camera), JSON array or GeoJSON.
export const GET: RequestHandler = endpoint(async ({ url, locals }) => {
	const user = requireUser(await locals.auth());
	const all = url.searchParams.get('all');
	if (all !== null && all !== 'true' && all !== 'false') throw badRequest('all must be true or false');
	const format = url.searchParams.get('format');
	if (format !== null && format !== 'json' && format !== 'geojson') throw badRequest('format must be json or geojson');

	const admin = user.role === 'admin';
	const cameras = (await visibleCameras(user)).filter((c) => all === 'true' || (c.lat !== null && c.lon !== null));
	if (format === 'geojson')
		return json(cameraFeatureCollection(cameras, admin), { headers: { 'content-type': 'application/geo+json' } });
	return json(cameras.map((c) => listedCamera(c, admin)));
});

export const POST: RequestHandler = endpoint(async ({ request, locals, url }) => {
	requireAdmin(await locals.auth());
	const body = await readJsonObject(request);
	onlyFields(body, CAMERA_FIELDS);
	return json(adminCamera(await createCamera(body), url), { status: 201 });
});

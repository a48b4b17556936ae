import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { pageUser } from '$lib/server/auth/page-guard';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { pageStatus } from '$lib/server/cameras/page-status';
import { ApiError } from '$lib/server/http/api';

export const load: PageServerLoad = async ({ locals, url, params }) => {
	const user = await pageUser(locals, url);
	// A camera the user may not see does not exist for them (as in the API).
	const camera = await visibleCamera(user, params.id).catch((e) => {
		if (e instanceof ApiError) error(404, 'Camera not found');
		throw e;
	});
	return {
		camera: { id: camera.id, label: camera.label, lat: camera.lat, lon: camera.lon },
		status: pageStatus(camera)
	};
};

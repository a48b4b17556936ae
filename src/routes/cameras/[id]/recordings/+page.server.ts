import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { pageUser } from '$lib/server/auth/page-guard';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { ApiError } from '$lib/server/http/api';

// A camera's recordings: the page talks to the recording API with the browser session.
export const load: PageServerLoad = async ({ locals, url, params }) => {
	const user = await pageUser(locals, url);
	const camera = await visibleCamera(user, params.id).catch((e) => {
		if (e instanceof ApiError) error(e.status, e.message);
		throw e;
	});
	return { camera: { id: camera.id, label: camera.label }, admin: user.role === 'admin' };
};

import type { PageServerLoad } from './$types';
import { pageUser } from '$lib/server/auth/page-guard';
import { visibleCameras } from '$lib/server/cameras/cameras';
import { adminCamera, viewerCamera } from '$lib/server/cameras/views';
import { redactSource } from '$lib/server/cameras/source';
import { live } from '$lib/server/hub/live';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = await pageUser(locals, url);
	const cameras = await visibleCameras(user);
	return {
		admin: user.role === 'admin',
		cameras: cameras.map((c) =>
			user.role === 'admin'
				? { ...adminCamera(c, url, live.status(c.id)), source: redactSource(c.source) }
				: { ...viewerCamera(c, live.status(c.id)), name: null, source: null }
		)
	};
};

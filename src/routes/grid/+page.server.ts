import type { PageServerLoad } from './$types';
import { pageUser } from '$lib/server/auth/page-guard';
import { visibleCameras } from '$lib/server/cameras/cameras';
import { pageStatuses } from '$lib/server/cameras/page-status';
import { listLayouts } from '$lib/server/layouts/layouts';

export const load: PageServerLoad = async ({ locals, url }) => {
	const user = await pageUser(locals, url);
	const cameras = await visibleCameras(user);
	return {
		cameras: cameras.map((c) => ({ id: c.id, label: c.label })),
		statuses: pageStatuses(cameras),
		layouts: await listLayouts(user)
	};
};

import type { PageServerLoad } from './$types';
import { pageAdmin } from '$lib/server/auth/page-guard';
import { visibleCameras } from '$lib/server/cameras/cameras';
import { listUsers } from '$lib/server/users/users';

export const load: PageServerLoad = async ({ locals, url }) => {
	const admin = await pageAdmin(locals, url);
	return {
		me: admin.username,
		users: await listUsers(),
		cameras: (await visibleCameras(admin)).map((c) => ({ id: c.id, label: c.label, name: c.name }))
	};
};

import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { tokenQuery } from '$lib/server/record/http';
import { exportView } from '$lib/server/record/exports';
import { visibleExport } from '$lib/server/record/export-access';

// An export's progress; when done, where to download it.
export const GET: RequestHandler = endpoint(async ({ params, locals }) => {
	const user = requireUser(await locals.auth());
	const e = await visibleExport(user, params.id);
	return json(exportView(e, e.status === 'done' ? `/api/exports/${e.id}/file${tokenQuery(user)}` : null));
});

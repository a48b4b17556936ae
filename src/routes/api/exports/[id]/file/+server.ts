import type { RequestHandler } from './$types';
import { endpoint, notFound } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { fileResponse } from '$lib/server/record/http';
import { exportPath } from '$lib/server/record/paths';
import { visibleExport } from '$lib/server/record/export-access';

// The exported clip (MP4), as a download.
export const GET: RequestHandler = endpoint(async ({ params, locals, request }) => {
	const user = requireUser(await locals.auth());
	const e = await visibleExport(user, params.id);
	if (e.status !== 'done') throw notFound('export not ready');
	return fileResponse(exportPath(e.id), request, { 'content-type': 'video/mp4', 'content-disposition': `attachment; filename="export-${e.cameraId}-${e.startAt.toISOString().replace(/[:.]/g, '-')}.mp4"` });
});

import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { badRequest, endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { timeParam } from '$lib/server/record/http';
import { createExport, MAX_EXPORT_SEC } from '$lib/server/record/exports';

// Starts cutting a clip of [start, end) from the recordings; poll GET /api/exports/:id.
export const POST: RequestHandler = endpoint(async ({ params, locals, request }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	const body = await readJsonObject(request);
	onlyFields(body, ['start', 'end', 'transcode']);
	const asQuery = new URL('http://x/');
	for (const k of ['start', 'end'] as const) if (typeof body[k] === 'string') asQuery.searchParams.set(k, body[k] as string);
	const start = timeParam(asQuery, 'start');
	const end = timeParam(asQuery, 'end');
	if (end <= start) throw badRequest('end must be after start');
	if (end.getTime() - start.getTime() > MAX_EXPORT_SEC * 1000) throw badRequest(`an export may span at most ${MAX_EXPORT_SEC / 3600} hours`);
	if (body.transcode !== undefined && body.transcode !== 'h264') throw badRequest('transcode must be "h264" (or absent: copy)');
	const id = await createExport(user.id, camera.id, start, end, body.transcode === 'h264');
	return json({ id }, { status: 202 });
});

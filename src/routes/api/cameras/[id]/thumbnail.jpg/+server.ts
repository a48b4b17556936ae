import type { RequestHandler } from './$types';
import path from 'node:path';
import { endpoint, notFound } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { config } from '$lib/server/config';
import { db } from '$lib/server/db/client';
import { fileResponse } from '$lib/server/record/http';

// The camera's thumbnail: its newest stored snapshot.
export const GET: RequestHandler = endpoint(async ({ params, locals, request }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	const shot = await db.snapshot.findFirst({ where: { cameraId: camera.id }, orderBy: { takenAt: 'desc' } });
	if (!shot) throw notFound('no snapshot yet');
	const res = fileResponse(path.join(config.record.snapshotDir, shot.path), request, { 'content-type': 'image/jpeg' });
	res.headers.set('cache-control', 'no-cache');
	return res;
});

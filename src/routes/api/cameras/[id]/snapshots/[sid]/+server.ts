import type { RequestHandler } from './$types';
import path from 'node:path';
import { endpoint, notFound } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { config } from '$lib/server/config';
import { db } from '$lib/server/db/client';
import { fileResponse } from '$lib/server/record/http';

// One stored snapshot (JPEG).
export const GET: RequestHandler = endpoint(async ({ params, locals, request }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	const id = /^\d{1,12}$/.test(params.sid) ? Number(params.sid) : NaN;
	const shot = Number.isNaN(id) ? null : await db.snapshot.findFirst({ where: { id, cameraId: camera.id } });
	if (!shot) throw notFound('snapshot not found');
	return fileResponse(path.join(config.record.snapshotDir, shot.path), request, { 'content-type': 'image/jpeg' });
});

import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { db } from '$lib/server/db/client';
import { timeRange, tokenQuery } from '$lib/server/record/http';
import { snapshotView } from '$lib/server/record/snapshots';

// Stored periodic snapshots taken in [start, end), oldest first.
export const GET: RequestHandler = endpoint(async ({ params, locals, url }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	const { start, end } = timeRange(url);
	const rows = await db.snapshot.findMany({ where: { cameraId: camera.id, takenAt: { gte: start, lt: end } }, orderBy: { takenAt: 'asc' }, take: 10_000 });
	const q = tokenQuery(user);
	return json(rows.map((s) => snapshotView(s, `/api/cameras/${camera.id}/snapshots/${s.id}${q}`)));
});

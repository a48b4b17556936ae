import type { RequestHandler } from './$types';
import { endpoint, notFound } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { db } from '$lib/server/db/client';
import { segmentFile } from '$lib/server/record/recording-index';
import { fileResponse } from '$lib/server/record/http';

// One recorded segment file (fragmented MP4), whole or by byte range: HLS playback and download.
export const GET: RequestHandler = endpoint(async ({ params, locals, request }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	// "12" or "12.mp4" (players look at the extension)
	const m = /^(\d{1,12})(\.mp4)?$/.exec(params.rid);
	const id = m ? Number(m[1]) : NaN;
	const segment = Number.isNaN(id) ? null : await db.recording.findFirst({ where: { id, cameraId: camera.id } });
	if (!segment) throw notFound('recording not found');
	return fileResponse(segmentFile(segment), request, { 'content-type': 'video/mp4' });
});

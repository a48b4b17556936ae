import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { segmentsBetween } from '$lib/server/record/recording-index';
import { timeRange, tokenQuery } from '$lib/server/record/http';
import { vodPlaylist } from '$lib/server/record/playlist';

// HLS VOD over the camera's recorded segments in [start, end).
export const GET: RequestHandler = endpoint(async ({ params, locals, url }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	const { start, end } = timeRange(url);
	const q = tokenQuery(user);
	const playlist = vodPlaylist(await segmentsBetween(camera.id, start, end), (s) => `recordings/${s.id}.mp4${q}`);
	return new Response(playlist, { headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-store' } });
});

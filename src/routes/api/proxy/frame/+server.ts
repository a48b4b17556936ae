import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { liveCameraFor, offlineError } from '$lib/server/live/access';
import { keyframeMp4 } from '$lib/server/live/keyframe';
import { live } from '$lib/server/hub/live';

// Document 000: one keyframe as MP4, from the cache: no wait for the next GOP.
export const GET: RequestHandler = endpoint(async (event) => {
	const { stream } = await liveCameraFor(event);
	const k = stream.keyframe() ?? (await live.keyframe(stream.id));
	if (!k) throw offlineError(stream);
	return new Response(new Uint8Array(keyframeMp4(k)), { headers: { 'content-type': 'video/mp4', 'cache-control': 'no-store' } });
});

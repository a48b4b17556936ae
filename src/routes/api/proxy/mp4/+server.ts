import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { liveCameraFor } from '$lib/server/live/access';
import { startFmp4Feed } from '$lib/server/live/fmp4-feed';
import { feedResponse } from '$lib/server/live/http-feed';

// A continuous fragmented MP4, starting at the cached keyframe, for as long as the client reads.
export const GET: RequestHandler = endpoint(async (event) => {
	const { stream } = await liveCameraFor(event);
	return feedResponse('video/mp4', (io) => startFmp4Feed(stream, { protocol: 'mp4', remoteAddress: event.getClientAddress(), ...io }));
});

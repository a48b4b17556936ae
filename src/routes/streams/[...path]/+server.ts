import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { flvCamera, startFlvFeed } from '$lib/server/live/flv-feed';
import { feedResponse } from '$lib/server/live/http-feed';

// Document 001's HTTP-FLV: GET /streams/<camera id or name>.flv?token=, a live
// FLV from the cached keyframe for as long as the client reads. The same path
// upgraded is WebSocket-FLV (handleFlvUpgrade).
export const GET: RequestHandler = endpoint(async (event) => {
	const { stream } = await flvCamera(await event.locals.auth(), event.params.path);
	return feedResponse('video/x-flv', (io) => startFlvFeed(stream, { protocol: 'http-flv', remoteAddress: event.getClientAddress(), ...io }));
});

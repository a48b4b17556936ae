import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { flvCamera, startFlvFeed } from '$lib/server/live/flv-feed';

// Document 001's HTTP-FLV: GET /streams/<camera id or name>.flv?token=, a live
// FLV from the cached keyframe for as long as the client reads. The same path
// upgraded is WebSocket-FLV (handleFlvUpgrade).
const HIGH_WATER = 4 * 1024 * 1024;

export const GET: RequestHandler = endpoint(async (event) => {
	const { stream } = await flvCamera(await event.locals.auth(), event.params.path);
	let stop = () => {};
	const body = new ReadableStream<Uint8Array>(
		{
			start(controller) {
				stop = startFlvFeed(stream, {
					protocol: 'http-flv',
					remoteAddress: event.getClientAddress(),
					send: (data) => controller.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
					congested: () => (controller.desiredSize ?? 0) <= 0,
					restart: () => {
						stop();
						controller.close();
					},
					unplayable: (message) => {
						stop();
						controller.error(new Error(message));
					}
				});
			},
			cancel() {
				stop();
			}
		},
		new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER })
	);
	return new Response(body, { headers: { 'content-type': 'video/x-flv', 'cache-control': 'no-store' } });
});

import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { liveCameraFor } from '$lib/server/live/access';
import { startFmp4Feed } from '$lib/server/live/fmp4-feed';

// A continuous fragmented MP4, starting at the cached keyframe, for as long as the client reads.
const HIGH_WATER = 4 * 1024 * 1024;

export const GET: RequestHandler = endpoint(async (event) => {
	const { stream } = await liveCameraFor(event);
	let stop = () => {};
	const body = new ReadableStream<Uint8Array>(
		{
			start(controller) {
				stop = startFmp4Feed(stream, {
					protocol: 'mp4',
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
	return new Response(body, { headers: { 'content-type': 'video/mp4', 'cache-control': 'no-store' } });
});

// A live feed as a streamed HTTP response body, for as long as the client
// reads (/api/proxy/mp4, HTTP-FLV). Backpressure: a full queue counts as congested.
import type { FeedTarget } from './gop-feed';

const HIGH_WATER = 4 * 1024 * 1024;

type Io = Pick<FeedTarget, 'send' | 'congested' | 'restart' | 'unplayable'>;

export function feedResponse(contentType: string, start: (io: Io) => () => void): Response {
	let stop = () => {};
	const body = new ReadableStream<Uint8Array>(
		{
			start(controller) {
				stop = start({
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
	return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
}

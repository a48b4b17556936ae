import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { liveCameraFor, offlineError } from '$lib/server/live/access';
import { keyframeMp4, mp4ToJpeg } from '$lib/server/live/keyframe';
import { live } from '$lib/server/hub/live';

// The cached keyframe as JPEG.
export const GET: RequestHandler = endpoint(async (event) => {
	const { stream } = await liveCameraFor(event);
	const k = stream.keyframe() ?? (await live.keyframe(stream.id));
	if (!k) throw offlineError(stream);
	const jpeg = await mp4ToJpeg(keyframeMp4(k));
	return new Response(new Uint8Array(jpeg), { headers: { 'content-type': 'image/jpeg', 'cache-control': 'no-store' } });
});

import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { liveCamera } from '$lib/server/live/access';
import { snapshotJpeg } from '$lib/server/record/snapshots';

// The camera's picture now (the cached keyframe as JPEG).
export const GET: RequestHandler = endpoint(async ({ params, locals }) => {
	const { stream } = await liveCamera(await locals.auth(), params.id);
	const jpeg = await snapshotJpeg(stream);
	return new Response(new Uint8Array(jpeg), { headers: { 'content-type': 'image/jpeg', 'cache-control': 'no-store' } });
});

import type { RequestHandler } from './$types';
import { ApiError, endpoint } from '$lib/server/http/api';
import { httpBase } from '$lib/server/http/public-url';
import { liveCameraFor } from '$lib/server/live/access';
import { hlsMaster } from '$lib/server/live/hls';
import { tokenFor } from '$lib/server/auth/login';

// Document 000: the HLS (master) playlist; its URLs carry the token, so players need no headers.
export const GET: RequestHandler = endpoint(async (event) => {
	const { user, stream } = await liveCameraFor(event);
	const token = user.token ?? (await tokenFor(user));
	const text = await hlsMaster(stream, httpBase(event.url), token, event.getClientAddress()).catch((e: Error) => {
		throw new ApiError(503, e.message);
	});
	return new Response(text, { headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-cache' } });
});

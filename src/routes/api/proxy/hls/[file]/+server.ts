import type { RequestHandler } from './$types';
import { ApiError, badRequest, endpoint, notFound } from '$lib/server/http/api';
import { httpBase } from '$lib/server/http/public-url';
import { liveCameraFor } from '$lib/server/live/access';
import { hlsMuxer, hlsUrls } from '$lib/server/live/hls';
import { HlsError } from '$lib/server/media/hls/ll-hls';

// The media playlist (blocking reload with _HLS_msn/_HLS_part), init segment, parts and segments.
function int(url: URL, name: string, required: boolean): number | undefined {
	const raw = url.searchParams.get(name);
	if (raw === null) {
		if (required) throw badRequest(`${name} is required`);
		return undefined;
	}
	if (!/^\d{1,9}$/.test(raw)) throw badRequest(`${name} must be a non-negative integer`);
	return Number(raw);
}

export const GET: RequestHandler = endpoint(async (event) => {
	const { url, params, request } = event;
	const { stream, user } = await liveCameraFor(event);
	const session = url.searchParams.get('session');
	const { muxer, count } = hlsMuxer(stream, session, event.getClientAddress());
	const media = (body: Buffer | undefined, type: string) => {
		// Another muxer's URL (the camera's HLS restarted since): gone.
		if (!body || url.searchParams.get('m') !== muxer.id) throw notFound('no longer available');
		count(body.length);
		return new Response(new Uint8Array(body), { headers: { 'content-type': type, 'cache-control': 'public, max-age=60, immutable' } });
	};
	switch (params.file) {
		case 'index.m3u8': {
			const msn = int(url, '_HLS_msn', false);
			const part = int(url, '_HLS_part', false);
			if (part !== undefined && msn === undefined) throw badRequest('_HLS_part needs _HLS_msn');
			const token = url.searchParams.get('token') ?? user.token ?? '';
			const urls = hlsUrls(httpBase(url), stream.id, token, session ?? '', muxer.id);
			// A first answer holds at least one whole segment.
			if (msn === undefined) await muxer.ready(request.signal, 10_000).catch(() => {});
			const text = await muxer.playlist(urls, msn === undefined ? undefined : { msn, part }, request.signal).catch((e: Error) => {
				throw e instanceof HlsError ? new ApiError(400, e.message) : e;
			});
			return new Response(text, { headers: { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-cache' } });
		}
		case 'init.mp4':
			return media(muxer.init(int(url, 'v', false)), 'video/mp4');
		case 'part.m4s':
			return media(await muxer.part(int(url, 'msn', true)!, int(url, 'part', true)!, request.signal), 'video/iso.segment');
		case 'segment.m4s':
			return media(await muxer.segment(int(url, 'msn', true)!, request.signal), 'video/iso.segment');
		default:
			throw notFound();
	}
});

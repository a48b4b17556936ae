import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { bootstrap } from '$lib/server/bootstrap';
import { authenticate } from '$lib/server/auth/principal';
import { SESSION_COOKIE } from '$lib/server/auth/session';
import { errorResponse } from '$lib/server/http/api';
import { CORS_HEADERS, isCorsPath } from '$lib/server/http/cors';
import { attachRealtime } from '$lib/server/realtime/realtime';
import { live } from '$lib/server/hub/live';
import { startSfu } from '$lib/server/live/webrtc';
import { handleUpgrade } from '$lib/server/live/ws-endpoint';
import { handleFlvUpgrade } from '$lib/server/live/flv-feed';
import { startRtspServer } from '$lib/server/rtsp/server';
import { startRtmpServer } from '$lib/server/rtmp/server';
import { config } from '$lib/server/config';
import { recorders } from '$lib/server/record/recorders';
import { failInterruptedExports } from '$lib/server/record/exports';
import { LANGUAGE_COOKIE, requestLanguage } from '$lib/i18n';

export const init: ServerInit = async () => {
	await bootstrap();
	await live.start();
	await recorders.start();
	await failInterruptedExports();
	startSfu();
	attachRealtime();
	// A port already taken (another instance) costs that protocol, not the whole server.
	await startRtspServer(config.rtspPort).catch((e) => console.error(`RTSP server not started on port ${config.rtspPort}: ${e.message}`));
	await startRtmpServer(config.rtmpPort).catch((e) => console.error(`RTMP server not started on port ${config.rtmpPort}: ${e.message}`));
	globalThis.__vantageUpgrade = (req, socket, head) =>
		void (req.url?.startsWith('/streams/') ? handleFlvUpgrade(req, socket, head) : handleUpgrade(req, socket, head));
};

export const handle: Handle = async ({ event, resolve }) => {
	let auth: ReturnType<App.Locals['auth']> | undefined;
	event.locals.auth = () =>
		(auth ??= authenticate({
			authorization: event.request.headers.get('authorization'),
			token: event.url.searchParams.get('token'),
			sessionToken: event.cookies.get(SESSION_COOKIE)
		}));

	const cors = isCorsPath(event.url.pathname);
	if (cors && event.request.method === 'OPTIONS') return new Response(null, { status: 204, headers: CORS_HEADERS });
	// The page's language (see src/lib/i18n) on <html lang>, for screen readers and fonts.
	const lang = requestLanguage(event.cookies.get(LANGUAGE_COOKIE), event.request.headers.get('accept-language'));
	let response = await resolve(event, { transformPageChunk: ({ html }) => html.replace('<html lang="en">', `<html lang="${lang}">`) });
	// Under /api every error speaks the API's envelope, also the ones SvelteKit
	// produces itself (unknown route, method not allowed).
	if (event.url.pathname.startsWith('/api/') && response.status >= 400 && !response.headers.get('content-type')?.includes('json')) {
		const message = response.status === 404 ? 'not found' : response.status === 405 ? 'method not allowed' : (await response.text()) || 'error';
		const headers: Record<string, string> = {};
		const allow = response.headers.get('allow');
		if (allow) headers.allow = allow;
		response = errorResponse(response.status, message, headers);
	}
	if (cors) for (const [k, v] of Object.entries(CORS_HEADERS)) response.headers.set(k, v);
	return response;
};

export const handleError: HandleServerError = ({ error, event, status }) => {
	if (status !== 404) console.error(`${event.request.method} ${event.url.pathname}:`, error);
	return { message: status === 404 ? 'Not found' : 'Internal error' };
};

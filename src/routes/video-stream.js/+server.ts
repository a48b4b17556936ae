import type { RequestHandler } from './$types';
import script from '$lib/player/video-stream.js?raw';

// The <video-stream> element, embeddable from any origin (document 000): served
// through a route rather than static/, so that it carries the CORS headers a
// cross-origin module script needs (hooks.server.ts adds them).
export const GET: RequestHandler = () =>
	new Response(script, { headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' } });

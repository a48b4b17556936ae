import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from './$types';
import { config } from '$lib/server/config';

// hls.js for <video-stream>'s HLS mode in browsers without native HLS.
let script: Buffer | undefined;

export const GET: RequestHandler = () => {
	script ??= readFileSync(path.join(config.appRoot, 'node_modules/hls.js/dist/hls.min.js'));
	return new Response(new Uint8Array(script), {
		headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400' }
	});
};

// Absolute URLs in responses: PUBLIC_URL when set, else the request's own origin.
import { config } from '../config';

export function publicOrigin(url: URL): URL {
	return new URL(config.publicUrl ?? url.origin);
}

export function httpBase(url: URL): string {
	return publicOrigin(url).origin;
}

export function wsBase(url: URL): string {
	const o = publicOrigin(url);
	return `${o.protocol === 'https:' ? 'wss:' : 'ws:'}//${o.host}`;
}

/** rtsp://HOST:RTSP_PORT: the HTTP host name with the RTSP port. */
export function rtspBase(url: URL): string {
	return `rtsp://${publicOrigin(url).hostname.replace(/^(.*:.*)$/, '[$1]')}:${config.rtspPort}`;
}

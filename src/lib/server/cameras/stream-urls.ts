// The per-camera URLs of GET /api/proxy/streams and /api/proxy/rtsp-url (document 000).
import { config } from '../config';
import { httpBase, rtspBase, wsBase } from '../http/public-url';

export function streamUrls(id: string, token: string, requestUrl: URL) {
	const q = `id=${id}&token=${encodeURIComponent(token)}`;
	const http = httpBase(requestUrl);
	return {
		ws_url: `${wsBase(requestUrl)}/api/proxy/ws?${q}`,
		hls_url: `${http}/api/proxy/hls?${q}`,
		frame_url: `${http}/api/proxy/frame?${q}`,
		mp4_url: `${http}/api/proxy/mp4?${q}`,
		rtsp_url: rtspUrl(id, requestUrl)
	};
}

export const rtspUrl = (id: string, requestUrl: URL) => `${rtspBase(requestUrl)}/${id}`;

export function rtspUrlInfo(id: string, requestUrl: URL) {
	const base = rtspBase(requestUrl);
	return {
		stream_id: id,
		rtsp_url: `${base}/${id}`,
		rtsp_port: String(config.rtspPort),
		note: `If RTSP auth configured: ${base.replace('rtsp://', 'rtsp://user:pass@')}/${id}`
	};
}

/** Where a push camera's device publishes (admins only: the key is a secret). */
export function publishUrls(c: { id: string; pushKey: string | null }, requestUrl: URL) {
	if (!c.pushKey) return null;
	const host = new URL(rtspBase(requestUrl)).hostname;
	return {
		rtmp: `rtmp://${host}:${config.rtmpPort}/live/${c.id}?key=${c.pushKey}`,
		rtsp: `${rtspBase(requestUrl)}/${c.id}?key=${c.pushKey}`
	};
}

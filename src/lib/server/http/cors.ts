// Cross-origin use, as document 000's examples do it: other sites embed
// /video-stream.js and call the API with a bearer token. Cookies are never
// sent cross-origin (no Allow-Credentials), so "*" exposes nothing of a session.
export const CORS_HEADERS = {
	'access-control-allow-origin': '*',
	'access-control-allow-methods': 'GET, POST, PATCH, DELETE, OPTIONS',
	'access-control-allow-headers': 'Authorization, Content-Type',
	'access-control-max-age': '86400'
};

export const isCorsPath = (pathname: string) =>
	pathname.startsWith('/api/') || pathname === '/video-stream.js' || pathname === '/hls.js' || pathname.startsWith('/streams/');

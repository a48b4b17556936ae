// Request-URIs as RTSP clients build them. A track's URL is the Content-Base
// plus the track's a=control, and clients append it even after a query:
// ffmpeg publishing to rtsp://h/cam?key=K sets up rtsp://h/cam?key=K/streamid=0.
// So a "/" inside the query starts path segments again. Pure code.

export interface RtspUri {
	/** Decoded path segments, the ones after the query included. */
	path: string[];
	/** Query parameters (first value of each). */
	query: Record<string, string>;
}

function decode(s: string): string {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

/** The path and query of an rtsp:// (or rtsps://, or path-only) Request-URI; undefined when it is neither. */
export function parseRtspUri(uri: string): RtspUri | undefined {
	let rest: string;
	const m = /^rtsps?:\/\/[^/?#]*(.*)$/i.exec(uri);
	if (m) rest = m[1];
	else if (uri.startsWith('/')) rest = uri;
	else if (uri === '*') rest = '';
	else return undefined;
	const hash = rest.indexOf('#');
	if (hash >= 0) rest = rest.slice(0, hash);
	const q = rest.indexOf('?');
	let pathText = q < 0 ? rest : rest.slice(0, q);
	let queryText = q < 0 ? '' : rest.slice(q + 1);
	const slash = queryText.indexOf('/');
	if (slash >= 0) {
		pathText += queryText.slice(slash);
		queryText = queryText.slice(0, slash);
	}
	const query: Record<string, string> = {};
	for (const part of queryText.split('&')) {
		if (!part) continue;
		const eq = part.indexOf('=');
		const k = decode(eq < 0 ? part : part.slice(0, eq));
		if (!(k in query)) query[k] = decode(eq < 0 ? '' : part.slice(eq + 1).replace(/\+/g, ' '));
	}
	return { path: pathText.split('/').filter(Boolean).map(decode), query };
}

/** Whether a SETUP Request-URI names the media with this a=control (relative to the stream, or absolute). */
export function matchesControl(uri: RtspUri, control: string): boolean {
	if (!control || control === '*') return false;
	const wanted = /^rtsps?:\/\//i.test(control) ? parseRtspUri(control)?.path : control.split('/').filter(Boolean).map(decode);
	if (!wanted?.length || wanted.length > uri.path.length) return false;
	return wanted.every((seg, i) => uri.path[uri.path.length - wanted.length + i] === seg);
}

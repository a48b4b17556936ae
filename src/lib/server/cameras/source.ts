// What a camera's `source` may be. Ingest registers a puller per scheme later;
// here we only decide what is acceptable, with messages a person can act on.
import { statSync } from 'node:fs';
import path from 'node:path';

// demo: a generated test pattern (the demo camera of a fresh install).
export const SOURCE_SCHEMES = ['rtsp', 'rtsps', 'rtmp', 'http', 'https', 'file', 'demo'] as const;

/** Why `source` is unacceptable, or null. */
export function sourceProblem(source: unknown): string | null {
	if (typeof source !== 'string' || source.trim() === '') return 'source is required: an rtsp://, rtsps://, rtmp://, http(s)://, file:/// URL or "push"';
	if (source === 'push') return null;
	if (source.length > 2048) return 'source must be at most 2048 characters';
	let url: URL;
	try {
		url = new URL(source);
	} catch {
		return 'source is not a valid URL';
	}
	const scheme = url.protocol.slice(0, -1);
	if (!(SOURCE_SCHEMES as readonly string[]).includes(scheme))
		return `unsupported source scheme "${scheme}:": use rtsp, rtsps, rtmp, http, https, file, demo or "push"`;
	if (scheme === 'file') {
		if (url.host) return 'a file source must be file:///absolute/path (no host)';
		const file = decodeURIComponent(url.pathname);
		if (!path.isAbsolute(file)) return 'a file source must be an absolute path';
		try {
			if (!statSync(file).isFile()) return `file source ${file} is not a regular file`;
		} catch {
			return `file source ${file} does not exist on the server`;
		}
		return null;
	}
	if (scheme === 'demo') return null;
	if (!url.hostname) return `a ${scheme} source needs a host`;
	return null;
}

/** The source with any password masked, for logs and status lines. */
export function redactSource(source: string): string {
	try {
		const url = new URL(source);
		if (url.password) url.password = '***';
		return url.toString();
	} catch {
		return source;
	}
}

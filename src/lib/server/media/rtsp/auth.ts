// HTTP authentication as RTSP uses it: Basic (RFC 7617) and Digest (RFC 2617
// with MD5, with or without qop=auth; RFC 2069 when the challenge has no qop,
// which is what RTSP cameras and clients such as live555/VLC and ffmpeg all
// speak). Parsing, challenges, response computation, and stateless nonces.
// Pure code.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type Authorization =
	| { scheme: 'basic'; username: string; password: string }
	| { scheme: 'digest'; username: string; params: Record<string, string> };

/** key=value, key="quoted, \"escaped\"" pairs separated by commas; keys lower-cased. */
export function parseAuthParams(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	let i = 0;
	const n = text.length;
	while (i < n) {
		while (i < n && (text[i] === ' ' || text[i] === ',' || text[i] === '\t')) i++;
		const keyStart = i;
		while (i < n && text[i] !== '=' && text[i] !== ',') i++;
		const key = text.slice(keyStart, i).trim().toLowerCase();
		if (i >= n || text[i] !== '=') {
			if (key) out[key] = '';
			continue;
		}
		i++; // '='
		while (i < n && text[i] === ' ') i++;
		let value = '';
		if (text[i] === '"') {
			i++;
			while (i < n && text[i] !== '"') {
				if (text[i] === '\\' && i + 1 < n) i++;
				value += text[i++];
			}
			i++; // closing quote
		} else {
			const start = i;
			while (i < n && text[i] !== ',') i++;
			value = text.slice(start, i).trim();
		}
		if (key && !(key in out)) out[key] = value;
	}
	return out;
}

/** The credentials of an Authorization header, or undefined when it is neither well-formed Basic nor Digest. */
export function parseAuthorization(header: string | undefined): Authorization | undefined {
	if (!header) return undefined;
	const m = /^(\S+)\s+([\s\S]*)$/.exec(header.trim());
	if (!m) return undefined;
	const scheme = m[1].toLowerCase();
	if (scheme === 'basic') {
		const decoded = Buffer.from(m[2].trim(), 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		if (colon < 0) return undefined;
		return { scheme: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
	}
	if (scheme === 'digest') {
		const params = parseAuthParams(m[2]);
		if (!params.username || !params.response || !params.nonce || params.realm === undefined) return undefined;
		return { scheme: 'digest', username: params.username, params };
	}
	return undefined;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

export const basicChallenge = (realm: string) => `Basic realm=${quote(realm)}`;

export const digestChallenge = (realm: string, nonce: string, stale = false) =>
	`Digest realm=${quote(realm)}, nonce=${quote(nonce)}${stale ? ', stale=TRUE' : ''}`;

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** The Digest response a client computes (MD5; qop=auth when given). */
export function digestResponse(a: {
	username: string;
	realm: string;
	password: string;
	method: string;
	uri: string;
	nonce: string;
	qop?: string;
	nc?: string;
	cnonce?: string;
}): string {
	const ha1 = md5(`${a.username}:${a.realm}:${a.password}`);
	const ha2 = md5(`${a.method}:${a.uri}`);
	return a.qop ? md5(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:${a.qop}:${ha2}`) : md5(`${ha1}:${a.nonce}:${ha2}`);
}

/** An Authorization: Digest header value for a request (what a client sends; for tests and tools). */
export function digestAuthorization(a: { username: string; password: string; realm: string; nonce: string; method: string; uri: string }): string {
	const response = digestResponse(a);
	return `Digest username=${quote(a.username)}, realm=${quote(a.realm)}, nonce=${quote(a.nonce)}, uri=${quote(a.uri)}, response=${quote(response)}`;
}

export const basicAuthorization = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

export function safeEqual(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	// Compare equal-length digests so the time doesn't leak the length either.
	return timingSafeEqual(createHash('sha256').update(x).digest(), createHash('sha256').update(y).digest()) && x.length === y.length;
}

/**
 * Whether a Digest Authorization answers for `password` and `method`: the
 * realm must be ours; the algorithm MD5 (or absent); qop absent or "auth".
 * The nonce is checked separately (see NonceIssuer).
 */
export function verifyDigest(params: Record<string, string>, expected: { realm: string; username: string; password: string; method: string }): boolean {
	if (params.realm !== expected.realm || params.username !== expected.username) return false;
	if (params.algorithm && params.algorithm.toUpperCase() !== 'MD5') return false;
	if (params.qop && (params.qop !== 'auth' || !params.nc || !params.cnonce)) return false;
	if (params.uri === undefined || !params.response) return false;
	const want = digestResponse({ ...expected, uri: params.uri, nonce: params.nonce, qop: params.qop || undefined, nc: params.nc, cnonce: params.cnonce });
	return safeEqual(want, params.response.toLowerCase());
}

/**
 * Nonces that need no server state: the issue time and an HMAC of it under a
 * per-process secret. A nonce is ours if the HMAC matches, fresh while younger
 * than `lifetimeMs` (an old one gets a challenge with stale=TRUE, so the client
 * retries without asking the user again).
 */
export class NonceIssuer {
	private readonly secret: Buffer;

	constructor(
		readonly lifetimeMs = 3_600_000,
		secret?: Buffer
	) {
		this.secret = secret ?? randomBytes(32);
	}

	issue(now = Date.now()): string {
		const t = Math.floor(now / 1000).toString(16).padStart(10, '0');
		return t + this.mac(t);
	}

	check(nonce: string, now = Date.now()): 'valid' | 'stale' | 'invalid' {
		if (!/^[0-9a-f]{42}$/.test(nonce)) return 'invalid';
		const t = nonce.slice(0, 10);
		if (!safeEqual(this.mac(t), nonce.slice(10))) return 'invalid';
		const age = now - parseInt(t, 16) * 1000;
		return age >= -60_000 && age <= this.lifetimeMs ? 'valid' : 'stale';
	}

	private mac(t: string) {
		return createHmac('sha256', this.secret).update(t).digest('hex').slice(0, 32);
	}
}

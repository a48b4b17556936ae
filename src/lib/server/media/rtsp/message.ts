// RTSP 1.0 messages (RFC 2326 §6-7) on a TCP stream: requests, responses and
// the interleaved binary frames ('$', channel, 16-bit length, data; §10.12)
// that carry RTP/RTCP on the same connection. An incremental parser with hard
// limits (head and body size, header count) and a serializer. Pure code.

export const RTSP_VERSION = 'RTSP/1.0';

/** Header names as sent; lookups are case-insensitive. A header may repeat (WWW-Authenticate). */
export class RtspHeaders {
	private map = new Map<string, { name: string; values: string[] }>();

	constructor(init?: Record<string, string | number | string[] | undefined> | [string, string][]) {
		if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v);
		else if (init) for (const [k, v] of Object.entries(init)) if (v !== undefined) this.set(k, v);
	}

	get(name: string): string | undefined {
		return this.map.get(name.toLowerCase())?.values[0];
	}

	getAll(name: string): string[] {
		return this.map.get(name.toLowerCase())?.values ?? [];
	}

	has(name: string): boolean {
		return this.map.has(name.toLowerCase());
	}

	set(name: string, value: string | number | string[]): this {
		this.map.set(name.toLowerCase(), { name, values: Array.isArray(value) ? [...value] : [String(value)] });
		return this;
	}

	append(name: string, value: string): this {
		const e = this.map.get(name.toLowerCase());
		if (e) e.values.push(value);
		else this.map.set(name.toLowerCase(), { name, values: [value] });
		return this;
	}

	delete(name: string): void {
		this.map.delete(name.toLowerCase());
	}

	/** [name, value] pairs, one per value. */
	*entries(): Generator<[string, string]> {
		for (const { name, values } of this.map.values()) for (const v of values) yield [name, v];
	}

	get size(): number {
		return this.map.size;
	}
}

export interface RtspRequest {
	method: string;
	/** The Request-URI as sent (an absolute rtsp:// URL, or "*"). */
	uri: string;
	version: string;
	headers: RtspHeaders;
	body: Buffer;
}

export interface RtspResponse {
	version: string;
	status: number;
	reason: string;
	headers: RtspHeaders;
	body: Buffer;
}

export type RtspMessage =
	| { type: 'request'; request: RtspRequest }
	| { type: 'response'; response: RtspResponse }
	| { type: 'data'; channel: number; data: Buffer };

/** Bad input: the status to answer with (when the peer is a client) before closing the connection. */
export class RtspParseError extends Error {
	constructor(
		readonly status: number,
		message: string
	) {
		super(message);
	}
}

export interface RtspParserLimits {
	/** Request/status line plus headers, in bytes. */
	maxHeadBytes: number;
	/** Content-Length. */
	maxBodyBytes: number;
	maxHeaders: number;
}

export const DEFAULT_LIMITS: RtspParserLimits = { maxHeadBytes: 8192, maxBodyBytes: 65536, maxHeaders: 64 };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const EMPTY = Buffer.alloc(0);

/**
 * Feed it bytes as they arrive; get whole messages back. Throws RtspParseError
 * on malformed or oversized input; after that it stays failed (every later
 * push throws the same error): the connection is to be answered and closed.
 */
export class RtspParser {
	private buf: Buffer = EMPTY;
	private failed?: RtspParseError;
	private head?: { first: string; headers: RtspHeaders; bodyLength: number };
	readonly limits: RtspParserLimits;

	constructor(limits: Partial<RtspParserLimits> = {}) {
		this.limits = { ...DEFAULT_LIMITS, ...limits };
	}

	/** Bytes received but not yet part of a whole message. */
	get buffered(): number {
		return this.buf.length;
	}

	push(chunk: Buffer): RtspMessage[] {
		if (this.failed) throw this.failed;
		this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
		const out: RtspMessage[] = [];
		try {
			for (;;) {
				const m = this.next();
				if (!m) break;
				out.push(m);
			}
		} catch (e) {
			this.failed = e instanceof RtspParseError ? e : new RtspParseError(400, (e as Error).message);
			this.buf = EMPTY;
			throw this.failed;
		}
		// Don't pin a large chunk for a small remainder.
		if (this.buf.length && this.buf.byteOffset > 0 && this.buf.buffer.byteLength > 4 * this.buf.length + 4096) this.buf = Buffer.from(this.buf);
		return out;
	}

	private next(): RtspMessage | undefined {
		if (this.head) return this.body();
		// Stray line ends between messages (some clients send them as keep-alives).
		let skip = 0;
		while (skip < this.buf.length && (this.buf[skip] === 0x0d || this.buf[skip] === 0x0a)) skip++;
		if (skip) this.buf = this.buf.subarray(skip);
		if (!this.buf.length) return undefined;
		if (this.buf[0] === 0x24) {
			if (this.buf.length < 4) return undefined;
			const len = this.buf.readUInt16BE(2);
			if (this.buf.length < 4 + len) return undefined;
			const data = this.buf.subarray(4, 4 + len);
			const channel = this.buf[1];
			this.buf = this.buf.subarray(4 + len);
			return { type: 'data', channel, data };
		}
		const end = headEnd(this.buf, this.limits.maxHeadBytes);
		if (end < 0) {
			if (this.buf.length > this.limits.maxHeadBytes) throw new RtspParseError(400, `message head exceeds ${this.limits.maxHeadBytes} bytes`);
			return undefined;
		}
		if (end > this.limits.maxHeadBytes) throw new RtspParseError(400, `message head exceeds ${this.limits.maxHeadBytes} bytes`);
		const text = this.buf.toString('latin1', 0, end);
		this.buf = this.buf.subarray(end + (this.buf[end] === 0x0d ? 4 : 2));
		this.head = this.parseHead(text);
		return this.body();
	}

	private body(): RtspMessage | undefined {
		const head = this.head!;
		if (this.buf.length < head.bodyLength) return undefined;
		const body = head.bodyLength ? Buffer.from(this.buf.subarray(0, head.bodyLength)) : EMPTY;
		this.buf = this.buf.subarray(head.bodyLength);
		this.head = undefined;
		return toMessage(head.first, head.headers, body);
	}

	private parseHead(text: string): { first: string; headers: RtspHeaders; bodyLength: number } {
		const lines = text.split(/\r?\n/);
		const first = lines.shift()!;
		const headers = new RtspHeaders();
		let last: string | undefined;
		let count = 0;
		for (const line of lines) {
			if (line === '') continue;
			if ((line[0] === ' ' || line[0] === '\t') && last) {
				// Obsolete line folding: continues the previous header's value.
				const all = headers.getAll(last);
				all[all.length - 1] += ' ' + line.trim();
				continue;
			}
			const colon = line.indexOf(':');
			if (colon <= 0) throw new RtspParseError(400, 'malformed header line');
			const name = line.slice(0, colon).trim();
			if (!TOKEN.test(name)) throw new RtspParseError(400, 'malformed header name');
			if (++count > this.limits.maxHeaders) throw new RtspParseError(400, `more than ${this.limits.maxHeaders} headers`);
			headers.append(name, line.slice(colon + 1).trim());
			last = name;
		}
		let bodyLength = 0;
		const cl = headers.getAll('content-length');
		if (cl.length) {
			if (cl.length > 1 || !/^\d{1,10}$/.test(cl[0])) throw new RtspParseError(400, 'bad Content-Length');
			bodyLength = Number(cl[0]);
			if (bodyLength > this.limits.maxBodyBytes) throw new RtspParseError(413, `body exceeds ${this.limits.maxBodyBytes} bytes`);
		}
		return { first, headers, bodyLength };
	}
}

/** Index of the blank line ending the head (of its CR or LF), or -1; searches at most `limit` + 4 bytes. */
function headEnd(buf: Buffer, limit: number): number {
	const n = Math.min(buf.length, limit + 4);
	for (let i = 0; i + 1 < n; i++) {
		if (buf[i] !== 0x0a && buf[i] !== 0x0d) continue;
		if (buf[i] === 0x0d && buf[i + 1] === 0x0a && buf[i + 2] === 0x0d && buf[i + 3] === 0x0a) return i;
		if (buf[i] === 0x0a && buf[i + 1] === 0x0a) return i;
	}
	return -1;
}

function toMessage(first: string, headers: RtspHeaders, body: Buffer): RtspMessage {
	if (first.startsWith('RTSP/')) {
		const m = /^(RTSP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
		if (!m) throw new RtspParseError(400, 'malformed status line');
		return { type: 'response', response: { version: m[1], status: Number(m[2]), reason: m[3] ?? '', headers, body } };
	}
	const parts = first.split(' ');
	if (parts.length !== 3 || !parts[0] || !parts[1]) throw new RtspParseError(400, 'malformed request line');
	const [method, uri, version] = parts;
	if (!TOKEN.test(method)) throw new RtspParseError(400, 'malformed method');
	if (!/^[\x21-\x7e]+$/.test(uri)) throw new RtspParseError(400, 'malformed request URI');
	if (version !== RTSP_VERSION) {
		if (/^RTSP\/\d\.\d$/.test(version)) throw new RtspParseError(505, `${version} is not supported`);
		throw new RtspParseError(400, 'not an RTSP request');
	}
	return { type: 'request', request: { method, uri, version, headers, body } };
}

export const STATUS_TEXT: Record<number, string> = {
	200: 'OK',
	400: 'Bad Request',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'Not Found',
	405: 'Method Not Allowed',
	406: 'Not Acceptable',
	408: 'Request Timeout',
	413: 'Request Entity Too Large',
	414: 'Request-URI Too Large',
	415: 'Unsupported Media Type',
	451: 'Parameter Not Understood',
	453: 'Not Enough Bandwidth',
	454: 'Session Not Found',
	455: 'Method Not Valid in This State',
	459: 'Aggregate Operation Not Allowed',
	461: 'Unsupported Transport',
	500: 'Internal Server Error',
	501: 'Not Implemented',
	503: 'Service Unavailable',
	505: 'RTSP Version Not Supported'
};

// A header value must not break the message: CR/LF would let a peer inject headers.
const clean = (s: string) => s.replace(/[\r\n]+/g, ' ');

function serializeHead(first: string, headers: RtspHeaders, body: Buffer): Buffer {
	let head = first + '\r\n';
	for (const [k, v] of headers.entries()) if (k.toLowerCase() !== 'content-length') head += `${clean(k)}: ${clean(v)}\r\n`;
	if (body.length) head += `Content-Length: ${body.length}\r\n`;
	head += '\r\n';
	return body.length ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

export function serializeResponse(res: { status: number; reason?: string; headers?: RtspHeaders; body?: Buffer | string }): Buffer {
	const body = typeof res.body === 'string' ? Buffer.from(res.body) : (res.body ?? EMPTY);
	const reason = clean(res.reason ?? STATUS_TEXT[res.status] ?? 'Unknown');
	return serializeHead(`${RTSP_VERSION} ${res.status} ${reason}`, res.headers ?? new RtspHeaders(), body);
}

export function serializeRequest(req: { method: string; uri: string; headers?: RtspHeaders; body?: Buffer | string }): Buffer {
	const body = typeof req.body === 'string' ? Buffer.from(req.body) : (req.body ?? EMPTY);
	return serializeHead(`${clean(req.method)} ${clean(req.uri)} ${RTSP_VERSION}`, req.headers ?? new RtspHeaders(), body);
}

/** One interleaved frame: '$', channel, length, data (at most 65535 bytes). */
export function interleavedFrame(channel: number, data: Buffer): Buffer {
	if (data.length > 0xffff) throw new Error('interleaved frame too large');
	const out = Buffer.allocUnsafe(4 + data.length);
	out[0] = 0x24;
	out[1] = channel & 0xff;
	out.writeUInt16BE(data.length, 2);
	data.copy(out, 4);
	return out;
}

/** The Session header's id (before ";timeout=…"). */
export function sessionId(value: string | undefined): string | undefined {
	const id = value?.split(';')[0].trim();
	return id || undefined;
}

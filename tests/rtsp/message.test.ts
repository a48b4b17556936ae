// RTSP messages, Transport headers, Request-URIs and authentication, on the
// bytes real clients sent (see fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
	RtspHeaders,
	RtspParseError,
	RtspParser,
	interleavedFrame,
	serializeRequest,
	serializeResponse,
	sessionId,
	type RtspMessage
} from '../../src/lib/server/media/rtsp/message';
import { formatTransport, parseTransport } from '../../src/lib/server/media/rtsp/transport';
import { matchesControl, parseRtspUri } from '../../src/lib/server/media/rtsp/url';
import {
	NonceIssuer,
	basicAuthorization,
	digestAuthorization,
	parseAuthParams,
	parseAuthorization,
	verifyDigest
} from '../../src/lib/server/media/rtsp/auth';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));

function parseAll(data: Buffer, chunk = data.length): RtspMessage[] {
	const p = new RtspParser();
	const out: RtspMessage[] = [];
	for (let i = 0; i < data.length; i += chunk) out.push(...p.push(data.subarray(i, i + chunk)));
	expect(p.buffered).toBe(0);
	return out;
}

describe('RTSP message parser', () => {
	it("reads ffprobe's requests (Digest) whole or byte by byte", () => {
		const data = fixture('ffprobe-5.1-play-tcp-digest.txt');
		for (const chunk of [data.length, 1, 7]) {
			const msgs = parseAll(data, chunk);
			expect(msgs.map((m) => m.type === 'request' && m.request.method)).toEqual(['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP', 'SETUP', 'PLAY', 'TEARDOWN']);
		}
		const [, , describe, setup, setup2] = parseAll(data).map((m) => (m.type === 'request' ? m.request : undefined)!);
		expect(describe.headers.get('cseq')).toBe('3');
		expect(describe.headers.get('ACCEPT')).toBe('application/sdp');
		expect(setup.uri).toMatch(/\/aaaaaaaaaaaa\/trackID=0$/);
		expect(setup.headers.get('transport')).toBe('RTP/AVP/TCP;unicast;interleaved=0-1');
		expect(sessionId(setup2.headers.get('session'))).toMatch(/^[0-9A-F]{16}$/);
	});

	it("reads GStreamer's requests, repeated headers kept in order", () => {
		const msgs = parseAll(fixture('gstreamer-1.22-rtspsrc-play-tcp-basic.txt'));
		const reqs = msgs.map((m) => (m.type === 'request' ? m.request : undefined)!);
		expect(reqs[0].headers.getAll('user-agent')).toHaveLength(2);
		expect(reqs.map((r) => r.method)).toContain('PLAY');
		const withBoth = reqs.find((r) => r.headers.getAll('authorization').length === 2)!;
		expect(withBoth.headers.getAll('authorization').map((a) => a.split(' ')[0])).toEqual(['Digest', 'Basic']);
	});

	it("reads ffmpeg's publishing: ANNOUNCE with its SDP body, then RTP in interleaved frames", () => {
		const data = fixture('ffmpeg-5.1-publish-tcp-h264-aac.bin');
		for (const chunk of [data.length, 1000, 13]) {
			const msgs = parseAll(data, chunk);
			const methods = msgs.filter((m) => m.type === 'request').map((m) => (m as { request: { method: string } }).request.method);
			expect(methods).toEqual(['OPTIONS', 'ANNOUNCE', 'SETUP', 'SETUP', 'RECORD', 'TEARDOWN']);
			const announce = msgs.find((m) => m.type === 'request' && m.request.method === 'ANNOUNCE') as { request: { body: Buffer } };
			expect(announce.request.body.toString()).toMatch(/^v=0\r?\n[\s\S]*a=rtpmap:96 H264\/90000/);
			const frames = msgs.filter((m) => m.type === 'data') as { channel: number; data: Buffer }[];
			expect(new Set(frames.map((f) => f.channel))).toEqual(new Set([0, 1, 2, 3]));
			expect(frames.filter((f) => f.channel === 0).length).toBeGreaterThan(25);
		}
	});

	it('skips blank lines between messages and reads responses too', () => {
		const res = serializeResponse({ status: 200, headers: new RtspHeaders({ CSeq: 3, Session: 'ABC;timeout=60' }), body: 'v=0\r\n' });
		const msgs = parseAll(Buffer.concat([Buffer.from('\r\n\r\n'), res, interleavedFrame(5, Buffer.from('xyz'))]));
		expect(msgs[0]).toMatchObject({ type: 'response', response: { status: 200, reason: 'OK' } });
		expect((msgs[0] as { response: { body: Buffer } }).response.body.toString()).toBe('v=0\r\n');
		expect(msgs[1]).toEqual({ type: 'data', channel: 5, data: Buffer.from('xyz') });
	});

	it('accepts bare LF line ends and folded header lines', () => {
		const [m] = parseAll(Buffer.from('OPTIONS * RTSP/1.0\nCSeq: 1\nX-Long: a\n  b\n\n'));
		expect(m.type === 'request' && m.request.headers.get('x-long')).toBe('a b');
	});

	const fails = (input: string | Buffer, status: number, limits = {}) => {
		const p = new RtspParser(limits);
		let err: unknown;
		try {
			p.push(Buffer.from(input));
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(RtspParseError);
		expect((err as RtspParseError).status).toBe(status);
		// A failed parser stays failed.
		expect(() => p.push(Buffer.from('OPTIONS * RTSP/1.0\r\n\r\n'))).toThrow(RtspParseError);
	};

	it('refuses what it must: oversized head or body, bad lines, other versions', () => {
		fails(`OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(9000)}\r\n\r\n`, 400);
		fails(`OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(9000)}`, 400); // no end in sight: refused once past the limit
		fails('ANNOUNCE rtsp://h/x RTSP/1.0\r\nContent-Length: 70000\r\n\r\n', 413);
		fails('OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n', 400);
		fails('OPTIONS * RTSP/1.0\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400);
		fails('OPTIONS * RTSP/2.0\r\n\r\n', 505);
		fails('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 400);
		fails('OPTIONS  * RTSP/1.0\r\n\r\n', 400);
		fails('OPTIONS * RTSP/1.0\r\nno colon here\r\n\r\n', 400);
		fails('OPTIONS * RTSP/1.0\r\nBad Name: x\r\n\r\n', 400);
		fails(`OPTIONS * RTSP/1.0\r\n${Array.from({ length: 70 }, (_, i) => `H${i}: x`).join('\r\n')}\r\n\r\n`, 400);
		fails('RTSP/1.0 abc OK\r\n\r\n', 400);
	});

	it('waits for a whole head, body and frame', () => {
		const p = new RtspParser();
		expect(p.push(Buffer.from('ANNOUNCE rtsp://h/x RTSP/1.0\r\nContent-Length: 4\r\n\r\nab'))).toEqual([]);
		expect(p.push(Buffer.from('cd$'))[0]).toMatchObject({ type: 'request' });
		expect(p.push(Buffer.from([1, 0]))).toEqual([]);
		expect(p.push(Buffer.from([2, 9]))).toEqual([]);
		expect(p.push(Buffer.from([8]))).toEqual([{ type: 'data', channel: 1, data: Buffer.from([9, 8]) }]);
	});
});

describe('RTSP serializer', () => {
	it('writes CRLF lines, repeated headers, Content-Length; no header injection', () => {
		const h = new RtspHeaders({ CSeq: '7\r\nX-Evil: 1' });
		h.append('WWW-Authenticate', 'Digest realm="a", nonce="b"');
		h.append('WWW-Authenticate', 'Basic realm="a"');
		const text = serializeResponse({ status: 401, headers: h, body: 'hi' }).toString();
		expect(text).toBe(
			'RTSP/1.0 401 Unauthorized\r\nCSeq: 7 X-Evil: 1\r\nWWW-Authenticate: Digest realm="a", nonce="b"\r\nWWW-Authenticate: Basic realm="a"\r\nContent-Length: 2\r\n\r\nhi'
		);
		const req = serializeRequest({ method: 'SETUP', uri: 'rtsp://h/x/trackID=0', headers: new RtspHeaders({ CSeq: 2, Transport: 'RTP/AVP;unicast;client_port=1-2' }) });
		const [m] = new RtspParser().push(req);
		expect(m).toMatchObject({ type: 'request', request: { method: 'SETUP', uri: 'rtsp://h/x/trackID=0' } });
	});
});

describe('Transport header', () => {
	it('reads TCP, UDP, record, alternatives; skips what it cannot read', () => {
		expect(parseTransport('RTP/AVP/TCP;unicast;interleaved=0-1')).toEqual([{ profile: 'RTP/AVP', lower: 'tcp', multicast: false, interleaved: [0, 1], mode: 'play' }]);
		expect(parseTransport('RTP/AVP;unicast;client_port=5000-5001;mode="RECORD"')[0]).toMatchObject({ lower: 'udp', clientPort: [5000, 5001], mode: 'record' });
		expect(parseTransport('RTP/AVP/UDP;unicast;client_port=5000')[0].clientPort).toEqual([5000, 5001]);
		expect(parseTransport('RTP/SAVP;unicast;client_port=1-2,RTP/AVP/TCP;interleaved=4-5').map((t) => t.profile)).toEqual(['RTP/SAVP', 'RTP/AVP']);
		expect(parseTransport('RTP/AVP;multicast;destination=224.1.1.1')[0].multicast).toBe(true);
		expect(parseTransport('RAW/RAW/UDP;unicast, RTP/AVP;client_port=99999-1, RTP/AVP;mode=fly, junk')).toEqual([]);
		expect(formatTransport({ profile: 'RTP/AVP', lower: 'udp', multicast: false, clientPort: [5000, 5001], serverPort: [8000, 8001], ssrc: 0xab, mode: 'record' })).toBe(
			'RTP/AVP;unicast;client_port=5000-5001;server_port=8000-8001;ssrc=000000AB;mode=record'
		);
	});
});

describe('Request-URIs', () => {
	it('finds the stream, the track and the query, also with the control after the query', () => {
		expect(parseRtspUri('rtsp://127.0.0.1:8554/abcdef012345')).toEqual({ path: ['abcdef012345'], query: {} });
		expect(parseRtspUri('rtsp://[::1]:8554/abcdef012345/trackID=1')).toEqual({ path: ['abcdef012345', 'trackID=1'], query: {} });
		const pub = parseRtspUri('rtsp://h:8554/abcdef012345?key=0123abcd/streamid=1')!;
		expect(pub).toEqual({ path: ['abcdef012345', 'streamid=1'], query: { key: '0123abcd' } });
		expect(matchesControl(pub, 'streamid=1')).toBe(true);
		expect(matchesControl(pub, 'streamid=0')).toBe(false);
		expect(matchesControl(pub, 'rtsp://h:8554/abcdef012345?key=0123abcd/streamid=1')).toBe(true);
		expect(parseRtspUri('http://h/x')).toBeUndefined();
		expect(parseRtspUri('rtsp://h/%zz?auth=basic')).toEqual({ path: ['%zz'], query: { auth: 'basic' } });
	});
});

describe('RTSP authentication', () => {
	it("verifies ffprobe's real Digest answers, and nothing else", () => {
		const reqs = parseAll(fixture('ffprobe-5.1-play-tcp-digest.txt')).map((m) => (m.type === 'request' ? m.request : undefined)!);
		const authed = reqs.filter((r) => r.headers.has('authorization'));
		expect(authed.length).toBe(5);
		for (const r of authed) {
			const a = parseAuthorization(r.headers.get('authorization'))!;
			expect(a.scheme).toBe('digest');
			if (a.scheme !== 'digest') continue;
			expect(verifyDigest(a.params, { realm: 'Vantage', username: 'nvr', password: 'nvr-pw', method: r.method })).toBe(true);
			expect(verifyDigest(a.params, { realm: 'Vantage', username: 'nvr', password: 'nvr-pw2', method: r.method })).toBe(false);
			expect(verifyDigest(a.params, { realm: 'Vantage', username: 'nvr', password: 'nvr-pw', method: 'RECORD' })).toBe(false);
			expect(verifyDigest(a.params, { realm: 'Other', username: 'nvr', password: 'nvr-pw', method: r.method })).toBe(false);
		}
	});

	it('Digest with qop=auth (RFC 2617), Basic, quoted values', () => {
		// RFC 2617 §3.5's example.
		const params = parseAuthParams(
			'username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
		);
		expect(verifyDigest(params, { realm: 'testrealm@host.com', username: 'Mufasa', password: 'Circle Of Life', method: 'GET' })).toBe(true);
		expect(parseAuthorization(basicAuthorization('al:ice', 'pa:ss'))).toEqual({ scheme: 'basic', username: 'al', password: 'ice:pa:ss' });
		expect(parseAuthorization('Basic bm9jb2xvbg==')).toBeUndefined();
		expect(parseAuthorization('Bearer x')).toBeUndefined();
		expect(parseAuthParams('a="x\\"y", b=z')).toEqual({ a: 'x"y', b: 'z' });
		const header = digestAuthorization({ username: 'u', password: 'p', realm: 'r', nonce: 'n', method: 'DESCRIBE', uri: 'rtsp://h/x' });
		const a = parseAuthorization(header)!;
		expect(a.scheme === 'digest' && verifyDigest(a.params, { realm: 'r', username: 'u', password: 'p', method: 'DESCRIBE' })).toBe(true);
	});

	it('nonces: ours and fresh, ours and stale, or not ours', () => {
		const n = new NonceIssuer(60_000);
		const now = Date.now();
		const nonce = n.issue(now);
		expect(n.check(nonce, now + 1000)).toBe('valid');
		expect(n.check(nonce, now + 120_000)).toBe('stale');
		expect(n.check(new NonceIssuer().issue(now), now)).toBe('invalid');
		expect(n.check(nonce.replace(/.$/, (c) => (c === '0' ? '1' : '0')), now)).toBe('invalid');
		expect(n.check('zz', now)).toBe('invalid');
	});
});

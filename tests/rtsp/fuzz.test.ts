// Bounded fuzzing of what a peer controls: the RTSP request parser, the
// Transport/Authorization/URI/SDP readers and the RTP depacketizers, with
// random and mutated real inputs. Nothing may throw except the parser's
// RtspParseError (which the server answers and closes on), nothing may hang.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RtspParseError, RtspParser } from '../../src/lib/server/media/rtsp/message';
import { parseTransport } from '../../src/lib/server/media/rtsp/transport';
import { parseAuthorization, parseAuthParams } from '../../src/lib/server/media/rtsp/auth';
import { parseRtspUri } from '../../src/lib/server/media/rtsp/url';
import { parseAnnouncedSdp } from '../../src/lib/server/media/rtsp/sdp';
import { AacReceiver, OpusReceiver, VideoReceiver } from '../../src/lib/server/media/rtsp/receiver';
import { h264ReorderDepth, h265ReorderDepth } from '../../src/lib/server/media/rtsp/parameter-sets';
import { parseRtcp } from '../../src/lib/server/media/rtsp/rtcp';
import { AacDepacketizer } from '../../src/lib/server/media/rtp/aac-packetizer';
import { parseRtp, serializeRtp } from '../../src/lib/server/media/rtp/packet';
import { RecordSession } from '../../src/lib/server/rtsp/record-session';
import { fakeApp } from './support';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const SEEDS = [
	readFileSync(path.join(FIXTURES, 'ffprobe-5.1-play-tcp-digest.txt')),
	readFileSync(path.join(FIXTURES, 'gstreamer-1.22-rtspsrc-play-tcp-basic.txt')),
	readFileSync(path.join(FIXTURES, 'ffmpeg-5.1-publish-tcp-h264-aac.bin')).subarray(0, 6000)
];

// A small deterministic PRNG (mulberry32), so a failure can be replayed.
function rng(seed: number) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const TOKENS = ['\r\n', '\r\n\r\n', '$', ':', ' ', 'RTSP/1.0', 'Content-Length: ', '99999999', '-1', '\0', 'Transport: ', ';', '=', ',', '"', '\\'].map((s) => Buffer.from(s));

function mutate(r: () => number, input: Buffer): Buffer {
	let out = Buffer.from(input);
	const n = 1 + Math.floor(r() * 8);
	for (let i = 0; i < n; i++) {
		const at = Math.floor(r() * (out.length + 1));
		const op = Math.floor(r() * 5);
		if (op === 0 && out.length) out[Math.min(at, out.length - 1)] = Math.floor(r() * 256);
		else if (op === 1) out = Buffer.concat([out.subarray(0, at), TOKENS[Math.floor(r() * TOKENS.length)], out.subarray(at)]);
		else if (op === 2) out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + Math.floor(r() * 64)))]);
		else if (op === 3) out = Buffer.concat([out.subarray(0, at), randomBytes(r, Math.floor(r() * 32)), out.subarray(at)]);
		else out = Buffer.concat([out.subarray(0, at), out.subarray(Math.floor(r() * out.length), Math.floor(r() * out.length) + 40), out.subarray(at)]);
	}
	return out;
}

const randomBytes = (r: () => number, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));

describe('fuzz', () => {
	it('RTSP parser: mutated real requests and random bytes, in random chunks', () => {
		const r = rng(1);
		const started = Date.now();
		let errors = 0;
		let messages = 0;
		for (let i = 0; i < 3000; i++) {
			const input = i % 4 === 0 ? randomBytes(r, Math.floor(r() * 2000)) : mutate(r, SEEDS[i % SEEDS.length]);
			const p = new RtspParser();
			try {
				for (let off = 0; off < input.length; ) {
					const len = 1 + Math.floor(r() * 700);
					messages += p.push(input.subarray(off, off + len)).length;
					off += len;
				}
			} catch (e) {
				expect(e).toBeInstanceOf(RtspParseError);
				expect([400, 413, 505]).toContain((e as RtspParseError).status);
				errors++;
			}
		}
		expect(errors).toBeGreaterThan(100);
		expect(messages).toBeGreaterThan(1000);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it('header readers: Transport, Authorization, URIs, SDP', () => {
		const r = rng(2);
		const seeds = [
			'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record',
			'Digest username="nvr", realm="Vantage", nonce="00", uri="rtsp://h/x", response="ab"',
			'Basic YWxpY2U6YWxpY2UtcHc=',
			'rtsp://h:8554/abcdef012345?key=0123/streamid=1',
			readFileSync(path.join(FIXTURES, 'ffmpeg-5.1-publish-tcp-h264-aac.bin')).subarray(230, 740).toString('latin1')
		].map((s) => Buffer.from(s, 'latin1'));
		for (let i = 0; i < 4000; i++) {
			const s = mutate(r, seeds[i % seeds.length]).toString('latin1');
			parseTransport(s);
			parseAuthorization(s);
			parseAuthParams(s);
			parseRtspUri(s);
			try {
				parseAnnouncedSdp(s);
			} catch (e) {
				expect((e as Error).message).toMatch(/not an SDP/);
			}
		}
	});

	it('RTP depacketizers and receivers: random and mutated packets', () => {
		const r = rng(3);
		const started = Date.now();
		const h264 = new VideoReceiver('h264');
		const h265 = new VideoReceiver('h265');
		const aac = new AacReceiver({ sizeLength: 13, indexLength: 3, indexDeltaLength: 3 });
		const lbr = new AacDepacketizer({ sizeLength: 6, indexLength: 2, indexDeltaLength: 2 });
		const opus = new OpusReceiver();
		const seeds = [Buffer.from([0x7c, 0x85, 1, 2, 3]), Buffer.from([0x18, 0, 2, 0x67, 0x42, 0, 1, 0x68]), Buffer.from([0x62, 0x01, 0x93, 9, 9]), Buffer.from([0x00, 0x10, 0x00, 0x18, 1, 2, 3])];
		let seq = 0;
		let units = 0;
		for (let i = 0; i < 20000; i++) {
			const payload = i % 3 === 0 ? randomBytes(r, Math.floor(r() * 1500)) : mutate(r, seeds[i % seeds.length]);
			const pkt = { header: { payloadType: 96, marker: r() < 0.3, sequenceNumber: r() < 0.95 ? seq++ & 0xffff : Math.floor(r() * 65536), timestamp: Math.floor(i / 3) * 3000, ssrc: 1 }, payload };
			units += h264.push(pkt).length + h265.push(pkt).length + aac.push(pkt).length + opus.push(pkt).length;
			lbr.push(payload, pkt.header.marker, pkt.header.sequenceNumber);
			parseRtcp(payload);
			h264ReorderDepth(payload);
			h265ReorderDepth(payload);
			try {
				parseRtp(payload);
			} catch {
				/* parseRtp throws by design; the server catches it */
			}
		}
		expect(units).toBeGreaterThan(0);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it('a publisher session fed garbage: never throws, counts it as dropped', () => {
		const app = fakeApp();
		const r = rng(4);
		const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:streamid=0\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/44100/1\r\na=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1208\r\na=control:streamid=1\r\n';
		const s = new RecordSession({ id: 'bbbbbbbbbbbb' }, sdp, { path: ['bbbbbbbbbbbb'], remoteAddress: 'x', backend: app.backend, publishTimeoutMs: 10_000, onEnd: () => {}, log: () => {} });
		s.setupTcp(s.tracks[0], [0, 1]);
		s.setupTcp(s.tracks[1], [2, 3]);
		s.record();
		for (let i = 0; i < 5000; i++) {
			const payload = randomBytes(r, Math.floor(r() * 1400));
			const data = r() < 0.5 ? serializeRtp({ payloadType: r() < 0.5 ? 96 : 97, marker: r() < 0.3, sequenceNumber: i & 0xffff, timestamp: i * 100, ssrc: 5 }, payload) : payload;
			s.onInterleaved(Math.floor(r() * 6), data);
		}
		s.close('done');
		expect(s.dropped).toBeGreaterThan(1000);
	});
});

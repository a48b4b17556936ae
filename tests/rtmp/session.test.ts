// The RTMP publish session over real TCP, with a recording handler in place
// of the app: ffmpeg publishing (simple and digest handshakes), ffmpeg's
// player side checking our digest handshake, a scripted client for what
// ffmpeg 5.1 can't send (enhanced-RTMP HEVC, other codecs), refusals, and
// the time limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { createRtmpServer, RtmpRefusal, type PublishRequest, type RtmpPublishHandler } from '../../src/lib/server/media/rtmp';
import { HANDSHAKE_SIZE, clientHello, serverHandshake, verifyServerHandshake, HandshakeError } from '../../src/lib/server/media/rtmp/handshake';
import { MSG } from '../../src/lib/server/media/rtmp/chunk';
import { parseAvcC } from '../../src/lib/server/media/h264';
import { encodeAmf0, EcmaArray } from '../../src/lib/server/media/flv/amf0';
import { hevcConfigBody, hevcFrameBody, type FlvTracks } from '../../src/lib/server/media/flv';
import { TestRtmpClient, media } from './rtmp-client';


interface Recording {
	requests: PublishRequest[];
	tracks: FlvTracks[];
	video: { dts: number; pts: number; keyframe: boolean; size: number }[];
	audio: { pts: number; size: number }[];
	stops: string[];
	closes: string[];
	logs: string[];
}

let server: Server;
let port: number;
let rec: Recording;
/** What authorize does for the next publish. */
let decide: (r: PublishRequest) => Promise<void> | void = () => {};

const fresh = (): Recording => ({ requests: [], tracks: [], video: [], audio: [], stops: [], closes: [], logs: [] });

function recorder(): RtmpPublishHandler {
	return {
		authorize: async (r) => {
			rec.requests.push(r);
			await decide(r);
		},
		start: (t) => void rec.tracks.push(t),
		video: (data, dts, pts, keyframe) => void rec.video.push({ dts, pts, keyframe, size: data.length }),
		audio: (data, pts) => void rec.audio.push({ pts, size: data.length }),
		stop: (r) => void rec.stops.push(r),
		close: (r) => void rec.closes.push(r),
		log: (m) => void rec.logs.push(m)
	};
}

beforeAll(async () => {
	rec = fresh();
	server = createRtmpServer(() => recorder(), { handshakeTimeoutMs: 1000, idleTimeoutMs: 3000, startTimeoutMs: 2000 });
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
	await new Promise((r) => server.close(r));
});

const until = async (check: () => boolean, ms: number, what: string) => {
	const deadline = Date.now() + ms;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
};

function ffmpeg(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stderr: string }> {
	return new Promise((resolve) => {
		const p = spawn('ffmpeg', ['-hide_banner', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
		let stderr = '';
		p.stderr.on('data', (d) => (stderr += d));
		const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
		p.on('close', (code) => {
			clearTimeout(t);
			resolve({ code, stderr });
		});
	});
}

const publishArgs = (url: string, seconds = 2) => [
	...['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100'],
	...['-t', String(seconds), '-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', url]
];

describe('handshake', () => {
	it('answers a simple C1 with S2 = C1, and a digest C1 with the digest form (either scheme)', () => {
		for (const scheme of [undefined, 8, 772] as const) {
			const hello = clientHello(scheme);
			const s = serverHandshake(hello);
			expect(s).toHaveLength(1 + 2 * HANDSHAKE_SIZE);
			expect(s[0]).toBe(3);
			const s1 = s.subarray(1, 1 + HANDSHAKE_SIZE);
			const s2 = s.subarray(1 + HANDSHAKE_SIZE);
			expect(verifyServerHandshake(hello.subarray(1), s1, s2)).toBe(true);
			if (scheme === undefined) expect(s1.readUInt32BE(4)).toBe(0);
		}
		expect(() => serverHandshake(Buffer.concat([Buffer.from([6]), Buffer.alloc(HANDSHAKE_SIZE)]))).toThrow(HandshakeError);
	});

	it("passes ffmpeg's player-side check of the digest handshake (then refuses play)", async () => {
		rec = fresh();
		const { stderr } = await ffmpeg(['-loglevel', 'verbose', '-rw_timeout', '5000000', '-i', `rtmp://127.0.0.1:${port}/live/x`, '-t', '1', '-f', 'null', '-'], 15_000);
		expect(stderr).not.toMatch(/validating failed|Signature mismatch|Handshake failed/i);
		expect(stderr).toMatch(/publishes only|published streams only/);
	});
});

describe('publishing with ffmpeg', () => {
	it('delivers avcC, AAC config, frames in order with composition times, then stops', async () => {
		rec = fresh();
		const { code, stderr } = await ffmpeg(publishArgs(`rtmp://127.0.0.1:${port}/live/cam123?key=secret`));
		expect(stderr).toBe('');
		expect(code).toBe(0);
		await until(() => rec.closes.length === 1, 3000, 'close');
		expect(rec.requests).toHaveLength(1);
		const r = rec.requests[0];
		expect(r).toMatchObject({ app: 'live', name: 'cam123', key: 'secret', tcUrl: `rtmp://127.0.0.1:${port}/live` });
		expect(rec.tracks).toHaveLength(1);
		const t = rec.tracks[0];
		expect(parseAvcC(t.video!.config)).toMatchObject({ nalLengthSize: 4, profileIdc: 100 });
		expect(t.audio).toMatchObject({ codec: 'aac', sampleRate: 44100, channels: 1 });
		expect(rec.video).toHaveLength(50);
		expect(rec.video[0].keyframe).toBe(true);
		expect(rec.video.filter((v) => v.keyframe)).toHaveLength(2);
		expect(rec.video.every((v, i) => i === 0 || v.dts > rec.video[i - 1].dts)).toBe(true);
		expect(rec.video.some((v) => v.pts > v.dts)).toBe(true);
		expect(rec.video.at(-1)!.dts - rec.video[0].dts).toBeCloseTo(49 * 0.04, 2);
		expect(rec.audio.length).toBeGreaterThan(80);
		expect(rec.stops).toEqual(['unpublished']);
	});

	it('reads extended timestamps as ffmpeg sends them', async () => {
		// Configuration tags at 0, frames from 17000 s: the first frame's delta (17 000 000 ms) needs
		// an extended timestamp, repeated in its continuation chunks; later deltas are small.
		rec = fresh();
		const args = publishArgs(`rtmp://127.0.0.1:${port}/live/cam123?key=secret`);
		const { code, stderr } = await ffmpeg([...args.slice(0, -3), '-output_ts_offset', '17000', ...args.slice(-3)]);
		expect(stderr).toBe('');
		expect(code).toBe(0);
		await until(() => rec.closes.length === 1, 3000, 'close');
		expect(rec.video).toHaveLength(50);
		expect(Math.abs(rec.video[0].dts - 17000)).toBeLessThan(0.2); // less the B-frame delay
		const steps = rec.video.slice(1).map((v, i) => Math.round((v.dts - rec.video[i].dts) * 1000));
		expect(new Set(steps)).toEqual(new Set([40]));
		expect(rec.audio.every((a, i) => i === 0 || a.pts > rec.audio[i - 1].pts)).toBe(true);
	});

	it('tells a refused publisher why (onStatus error) and closes; ffmpeg exits with an error', async () => {
		rec = fresh();
		decide = () => {
			throw new RtmpRefusal('NetStream.Publish.BadName', 'unknown stream or wrong key');
		};
		try {
			const { code, stderr } = await ffmpeg(publishArgs(`rtmp://127.0.0.1:${port}/live/cam123?key=wrong`));
			expect(code).not.toBe(0);
			expect(stderr).toMatch(/unknown stream or wrong key/);
			expect(rec.tracks).toHaveLength(0);
		} finally {
			decide = () => {};
		}
	});
});

describe('publishing, scripted', () => {
	it('takes the key from the app when the stream name has none, and holds messages sent before Publish.Start', async () => {
		rec = fresh();
		let release!: () => void;
		decide = () => new Promise<void>((r) => (release = r));
		const c = await TestRtmpClient.open(port, { digest: 8 });
		expect(verifyServerHandshake(c.c1, c.s0s1s2.subarray(1, 1537), c.s0s1s2.subarray(1537))).toBe(true);
		const res = await c.connect('live?key=k1');
		expect(res.name).toBe('_result');
		const txn = c.call(0, 'createStream', null);
		const sid = (await c.reply('_result', txn)).args[1] as number;
		c.call(sid, 'publish', null, 'cam9', 'live');
		// A publisher that doesn't wait: metadata, config and frames right away.
		c.send({ csid: 4, type: MSG.DATA_AMF0, streamId: sid, timestamp: 0, payload: encodeAmf0('@setDataFrame', 'onMetaData', new EcmaArray({ videocodecid: 12 })) });
		const hvcC = Buffer.alloc(23);
		hvcC[0] = 1;
		hvcC[21] = 0xff;
		c.send(media(9, sid, 0, hevcConfigBody(hvcC)));
		for (let i = 0; i < 5; i++) c.send(media(9, sid, i * 40, hevcFrameBody(Buffer.from('0000000426010203', 'hex'), i === 0, 80)));
		await until(() => rec.requests.length === 1, 2000, 'authorize');
		expect(rec.requests[0]).toMatchObject({ app: 'live', name: 'cam9', key: 'k1' });
		expect(rec.video).toHaveLength(0);
		release();
		const status = await c.reply('onStatus');
		expect(status.args[1]).toMatchObject({ level: 'status', code: 'NetStream.Publish.Start' });
		await until(() => rec.video.length === 5, 2000, 'frames');
		expect(rec.tracks[0].video?.codec).toBe('h265');
		expect(rec.video.map((v) => [v.dts, v.pts])).toEqual([0, 1, 2, 3, 4].map((i) => [i * 0.04, i * 0.04 + 0.08]));
		c.call(0, 'FCUnpublish', null, 'cam9');
		c.send({ csid: 3, type: MSG.COMMAND_AMF0, streamId: 0, timestamp: 0, payload: encodeAmf0('deleteStream', 0, null, sid) });
		await until(() => rec.stops.length === 1, 2000, 'stop');
		c.close();
		await until(() => rec.closes.length === 1, 2000, 'close');
		decide = () => {};
	});

	it('refuses a codec it cannot carry with NetStream.Publish.Failed and closes', async () => {
		rec = fresh();
		const c = await TestRtmpClient.open(port);
		await c.connect();
		const { streamId, info } = await c.publish('cam1?key=x');
		expect(info.code).toBe('NetStream.Publish.Start');
		c.send(media(9, streamId, 0, Buffer.from([0x14, 0, 0, 0]))); // On2 VP6 keyframe
		const status = await c.reply('onStatus');
		expect(status.args[1]).toMatchObject({ level: 'error', code: 'NetStream.Publish.Failed' });
		expect(String((status.args[1] as Record<string, unknown>).description)).toMatch(/VP6/);
		await c.waitClosed();
		expect(rec.tracks).toHaveLength(0);
	});

	it('refuses play, answers pings and acknowledges by the window the client set', async () => {
		rec = fresh();
		const c = await TestRtmpClient.open(port);
		await c.connect();
		c.send({ csid: 2, type: MSG.WINDOW_ACK_SIZE, streamId: 0, timestamp: 0, payload: Buffer.from([0, 0, 0x10, 0]) }); // 4096
		c.send({ csid: 2, type: MSG.USER_CONTROL, streamId: 0, timestamp: 0, payload: Buffer.from([0, 6, 0, 0, 1, 2]) });
		const pong = await c.next((m) => m.type === MSG.USER_CONTROL && m.payload.readUInt16BE(0) === 7);
		expect(pong.payload.readUInt32BE(2)).toBe(0x102);
		c.setChunkSize(1000);
		c.call(0, 'someUnknownCall', null);
		const err = await c.reply('_error');
		expect(err.args[1]).toMatchObject({ code: 'NetConnection.Call.Failed' });
		for (let i = 0; i < 10; i++) c.send({ csid: 8, type: MSG.DATA_AMF0, streamId: 0, timestamp: 0, payload: encodeAmf0('x', 'y'.repeat(1000)) });
		const ack = await c.next((m) => m.type === MSG.ACK);
		expect(ack.payload.readUInt32BE(0)).toBeGreaterThanOrEqual(4096);
		const txn = c.call(0, 'createStream', null);
		const sid = (await c.reply('_result', txn)).args[1] as number;
		c.call(sid, 'play', null, 'cam1');
		const st = await c.reply('onStatus');
		expect(st.args[1]).toMatchObject({ level: 'error', code: 'NetStream.Play.Failed' });
		await c.waitClosed();
	});

	it('closes on garbage, on a stalled handshake and on an accepted publish that never sends video', async () => {
		rec = fresh();
		// Garbage after the handshake: a type 3 chunk with nothing before it.
		const c = await TestRtmpClient.open(port);
		c.raw(Buffer.from('c6c6c6c6c6c6c6c6', 'hex'));
		await c.waitClosed();
		expect(rec.logs.some((l) => /closing: chunk type 3/.test(l))).toBe(true);
		// Not RTMP at all: HTTP.
		const started = Date.now();
		const http = await rawExchange(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
		expect(http).toEqual({ closed: true, received: 0 });
		expect(Date.now() - started).toBeLessThan(500); // at once, not at the handshake timeout
		// Half a handshake: closed after the handshake timeout (1 s here).
		const t0 = Date.now();
		const half = await rawExchange(clientHello().subarray(0, 700), 4000);
		expect(half.closed).toBe(true);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
		// Accepted, but no video within the start timeout (2 s here).
		const p = await TestRtmpClient.open(port);
		await p.connect();
		const { info } = await p.publish('cam?key=k');
		expect(info.code).toBe('NetStream.Publish.Start');
		const fail = await p.reply('onStatus', undefined, 4000);
		expect(fail.args[1]).toMatchObject({ level: 'error', code: 'NetStream.Publish.Failed' });
		await p.waitClosed();
	});
});

/** Writes bytes to the server; whether it closed the connection within `ms`. */
function rawExchange(data: Buffer, ms = 3000): Promise<{ closed: boolean; received: number }> {
	return new Promise((resolve) => {
		const s: Socket = tcpConnect({ port, host: '127.0.0.1' }, () => s.write(data));
		let received = 0;
		s.on('data', (d) => (received += d.length));
		s.on('error', () => {});
		const t = setTimeout(() => {
			s.destroy();
			resolve({ closed: false, received });
		}, ms);
		s.on('close', () => {
			clearTimeout(t);
			resolve({ closed: true, received });
		});
	});
}

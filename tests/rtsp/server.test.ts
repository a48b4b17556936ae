// The RTSP server in-process, on a fake app (hub streams fed by a real ffmpeg,
// users and rights, a recording publish path), with real clients: ffprobe,
// ffmpeg (reading and publishing), GStreamer's rtspsrc, and a raw client for
// what real clients don't do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { basicAuthorization } from '../../src/lib/server/media/rtsp/auth';
import { parseRtp } from '../../src/lib/server/media/rtp/packet';
import { startRtspServer, type RtspServerHandle } from '../../src/lib/server/rtsp/server';
import { RawClient } from './client';
import { fakeApp, liveFeed, type FakeApp, type LiveFeed } from './support';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CAM = 'aaaaaaaaaaaa'; // H.264 (B-frames) + AAC
const HEVC = 'cccccccccccc'; // H.265 + Opus
const PUSH = 'bbbbbbbbbbbb';
const KEY = '0123456789abcdef0123456789abcdef';

interface Probe {
	streams: { codec_type: string; codec_name: string; width?: number; nb_read_frames?: string; nb_read_packets?: string }[];
}

/** ffprobe an RTSP URL, counting the frames of the first `seconds`. */
async function probe(url: string, transport: 'tcp' | 'udp', seconds = 2): Promise<{ probe?: Probe; error?: string }> {
	try {
		const { stdout } = await run(
			'ffprobe',
			['-v', 'error', '-rtsp_transport', transport, '-read_intervals', `%+${seconds}`, '-count_frames', '-show_streams', '-of', 'json', url],
			{ timeout: 30_000 }
		);
		return { probe: JSON.parse(stdout) };
	} catch (e) {
		return { error: String((e as { stderr?: string }).stderr ?? e) };
	}
}

const frames = (p: Probe | undefined, type: string) => Number(p?.streams.find((s) => s.codec_type === type)?.nb_read_frames ?? 0);

function gstRead(url: string, proto: 'tcp' | 'udp', seconds: number, user?: string, password?: string) {
	const args = [path.join(import.meta.dirname, 'gst-reader.py'), url, proto, String(seconds), ...(user ? [user, password!] : [])];
	return run('/usr/bin/python3', args, { timeout: 30_000 }).then(({ stdout }) => JSON.parse(stdout) as { counts: Record<string, number>; encodings: Record<string, string>; error: string | null });
}

/** ffmpeg publishing a test pattern (H.264 with B-frames + AAC) over RTSP; resolves with its exit code and stderr. */
function publish(url: string, transport: 'tcp' | 'udp', seconds: number) {
	const child = spawn('ffmpeg', [
		'-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
		'-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-c:a', 'aac', '-f', 'rtsp', '-rtsp_transport', transport, url
	]);
	let stderr = '';
	child.stderr.on('data', (d) => (stderr += d));
	const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
	return { child, done };
}

describe('RTSP server (in-process, fake app)', () => {
	let app: FakeApp;
	let feeds: LiveFeed[];
	/** Platform users only (Basic). */
	let users: RtspServerHandle;
	/** Also the fixed RTSP_USERNAME/RTSP_PASSWORD (Digest). */
	let fixed: RtspServerHandle;
	/** RTSP_ANONYMOUS. */
	let open: RtspServerHandle;
	const logs: string[] = [];
	const url = (s: RtspServerHandle, p: string, cred = '') => `rtsp://${cred}127.0.0.1:${s.port}/${p}`;

	beforeAll(async () => {
		app = fakeApp();
		feeds = [liveFeed(CAM, { audio: 'aac', bframes: 2 }), liveFeed(HEVC, { codec: 'h265', audio: 'opus' })];
		for (const f of feeds) app.streams.set(f.stream.id, f.stream);
		app.users.set('alice', { password: 'alice-pw', cameras: '*' });
		app.users.set('bob', { password: 'bob-pw', cameras: [CAM] });
		app.pushKeys.set(PUSH, KEY);
		const log = (l: string) => logs.push(l);
		users = await startRtspServer(0, { backend: app.backend, udpPorts: [41000, 41199], publishTimeoutMs: 1500, log });
		fixed = await startRtspServer(0, { backend: app.backend, udpPorts: [41200, 41399], username: 'nvr', password: 'nvr-pw', log });
		open = await startRtspServer(0, { backend: app.backend, udpPorts: [41400, 41599], anonymous: true, log });
	});
	afterAll(async () => {
		await Promise.all([users, fixed, open].map((s) => s?.close()));
		for (const f of feeds ?? []) f.stop();
	});

	it('ffprobe reads H.264 + AAC over TCP and over UDP (platform user, Basic)', async () => {
		for (const transport of ['tcp', 'udp'] as const) {
			const { probe: p, error } = await probe(url(users, CAM, 'alice:alice-pw@'), transport);
			expect(error).toBeUndefined();
			expect(p!.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
			expect(p!.streams.find((s) => s.codec_type === 'video')!.width).toBe(320);
			expect(frames(p, 'video')).toBeGreaterThanOrEqual(40);
			expect(frames(p, 'audio')).toBeGreaterThanOrEqual(60);
		}
	});

	it('ffprobe reads H.265 + Opus (anonymous allowed)', async () => {
		for (const transport of ['tcp', 'udp'] as const) {
			const { probe: p, error } = await probe(url(open, HEVC), transport);
			expect(error).toBeUndefined();
			expect(p!.streams.map((s) => s.codec_name).sort()).toEqual(['hevc', 'opus']);
			expect(frames(p, 'video')).toBeGreaterThanOrEqual(40);
			expect(frames(p, 'audio')).toBeGreaterThanOrEqual(80);
		}
	});

	it('GStreamer rtspsrc reads over TCP and UDP; a platform user gets in by Basic after a Digest try', async () => {
		const tcp = await gstRead(url(fixed, CAM), 'tcp', 3, 'alice', 'alice-pw');
		expect(tcp.error).toBeNull();
		expect(tcp.encodings).toEqual({ video: 'H264', audio: 'MPEG4-GENERIC' });
		expect(tcp.counts.video).toBeGreaterThan(30);
		expect(tcp.counts.audio).toBeGreaterThan(50);
		const udp = await gstRead(url(open, HEVC), 'udp', 3);
		expect(udp.error).toBeNull();
		expect(udp.counts.video).toBeGreaterThan(30);
		expect(udp.counts.audio).toBeGreaterThan(50);
	});

	it('Digest for the fixed account; platform users with ffmpeg via ?auth=basic; wrong or none refused', async () => {
		expect((await probe(url(fixed, CAM, 'nvr:nvr-pw@'), 'tcp', 1)).error).toBeUndefined();
		expect((await probe(url(fixed, `${CAM}?auth=basic`, 'bob:bob-pw@'), 'tcp', 1)).error).toBeUndefined();
		// ffmpeg always picks Digest when offered, which can't check a platform user.
		expect((await probe(url(fixed, CAM, 'bob:bob-pw@'), 'tcp', 1)).error).toMatch(/401/);
		expect((await probe(url(fixed, CAM, 'nvr:wrong@'), 'tcp', 1)).error).toMatch(/401/);
		expect((await probe(url(users, CAM, 'alice:wrong@'), 'tcp', 1)).error).toMatch(/401/);
		expect((await probe(url(users, CAM), 'tcp', 1)).error).toMatch(/401/);
		expect((await probe(url(users, HEVC, 'bob:bob-pw@'), 'tcp', 1)).error).toMatch(/404/);
	});

	it('challenges: Basic only without fixed credentials; Digest and Basic with; rights give 404 alike for unknown and not granted', async () => {
		const c = new RawClient(users.port);
		const none = await c.request('DESCRIBE', url(users, CAM));
		expect(none.status).toBe(401);
		expect(none.headers.getAll('www-authenticate')).toEqual(['Basic realm="Vantage"']);
		const notGranted = await c.request('DESCRIBE', url(users, HEVC), { Authorization: basicAuthorization('bob', 'bob-pw') });
		const unknown = await c.request('DESCRIBE', url(users, 'ffffffffffff'), { Authorization: basicAuthorization('bob', 'bob-pw') });
		expect([notGranted.status, unknown.status]).toEqual([404, 404]);
		const ok = await c.request('DESCRIBE', url(users, CAM), { Authorization: basicAuthorization('bob', 'bob-pw') });
		expect(ok.status).toBe(200);
		expect(ok.headers.get('content-type')).toBe('application/sdp');
		expect(ok.headers.get('content-base')).toBe(`${url(users, CAM)}/`);
		expect(ok.body.toString()).toMatch(/a=fmtp:96 packetization-mode=1;profile-level-id=[0-9a-f]{6};sprop-parameter-sets=[^,\r\n]+,[^\r\n]+\r\n/);
		expect(ok.body.toString()).toMatch(/a=rtpmap:97 MPEG4-GENERIC\/48000\/1\r\na=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=[0-9a-f]+\r\n/);
		c.close();
		const checks = app.userChecks;
		const d = new RawClient(fixed.port);
		const both = await d.request('DESCRIBE', url(fixed, CAM));
		expect(both.headers.getAll('www-authenticate').map((h) => h.split(' ')[0])).toEqual(['Digest', 'Basic']);
		const basicOnly = await d.request('DESCRIBE', url(fixed, `${CAM}?auth=basic`));
		expect(basicOnly.headers.getAll('www-authenticate')).toEqual(['Basic realm="Vantage"']);
		// The fixed account by Basic, checked without the user store.
		expect((await d.request('DESCRIBE', url(fixed, CAM), { Authorization: basicAuthorization('nvr', 'nvr-pw') })).status).toBe(200);
		expect(app.userChecks).toBe(checks);
		d.close();
	});

	it('a reader starts at the cached keyframe at once; RTP-Info matches the first packet; it is a hub consumer', async () => {
		const c = new RawClient(users.port);
		const auth = { Authorization: basicAuthorization('alice', 'alice-pw') };
		expect((await c.request('DESCRIBE', url(users, CAM), auth)).status).toBe(200);
		const s1 = await c.request('SETUP', `${url(users, CAM)}/trackID=0`, { ...auth, Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
		expect(s1.status).toBe(200);
		expect(s1.headers.get('transport')).toMatch(/^RTP\/AVP\/TCP;unicast;interleaved=0-1;ssrc=[0-9A-F]{8}$/);
		const session = s1.headers.get('session')!.split(';')[0];
		expect(s1.headers.get('session')).toBe(`${session};timeout=60`);
		// Same channels again: refused; no transport we do: refused.
		expect((await c.request('SETUP', `${url(users, CAM)}/trackID=1`, { ...auth, Session: session, Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' })).status).toBe(461);
		expect((await c.request('SETUP', `${url(users, CAM)}/trackID=1`, { ...auth, Session: session, Transport: 'RTP/SAVP;unicast;client_port=5000-5001' })).status).toBe(461);
		expect((await c.request('SETUP', `${url(users, CAM)}/trackID=9`, { ...auth, Session: session, Transport: 'RTP/AVP/TCP;interleaved=2-3' })).status).toBe(404);
		expect((await c.request('PLAY', `${url(users, CAM)}/`, { Session: 'WRONG' })).status).toBe(454);
		const t0 = Date.now();
		const play = await c.request('PLAY', `${url(users, CAM)}/`, { Session: session, Range: 'npt=0.000-' });
		expect(play.status).toBe(200);
		const info = /url=(\S+?);seq=(\d+);rtptime=(\d+)$/.exec(play.headers.get('rtp-info')!)!;
		expect(info[1]).toBe(`${url(users, CAM)}/trackID=0`);
		while (!c.frames.get(0)?.length && Date.now() - t0 < 2000) await sleep(5);
		// The GOP so far arrives in one go, well before the next keyframe (1 s away at most).
		expect(Date.now() - t0).toBeLessThan(300);
		const first = parseRtp(c.frames.get(0)![0]);
		expect(first.header.sequenceNumber).toBe(Number(info[2]));
		expect(first.header.timestamp).toBe(Number(info[3]));
		expect(first.header.payloadType).toBe(96);
		// SPS first (alone or in a STAP-A), then the IDR.
		const nalType = first.payload[0] & 0x1f;
		expect(nalType === 7 || (nalType === 24 && (first.payload[3] & 0x1f) === 7)).toBe(true);
		const consumer = app.consumers(CAM).find((x) => x.protocol === 'rtsp');
		expect(consumer).toMatchObject({ protocol: 'rtsp', remoteAddress: '127.0.0.1' });
		await sleep(500);
		expect(consumer!.bytes).toBeGreaterThan(10_000);
		expect(consumer!.bytes).toBeGreaterThanOrEqual(c.frameBytes * 0.9);
		// Only track 0 was set up: nothing on other channels but RTCP.
		expect([...c.frames.keys()].sort()).toEqual([0, 1]);
		expect(c.frames.get(1)![0][1]).toBe(200); // a sender report
		expect((await c.request('GET_PARAMETER', `${url(users, CAM)}/`, { Session: session })).status).toBe(200);
		expect((await c.request('TEARDOWN', `${url(users, CAM)}/`, { Session: session })).status).toBe(200);
		expect(app.consumers(CAM).some((x) => x === consumer)).toBe(false);
		c.close();
	});

	it('ffmpeg publishes over TCP and over UDP; the publisher gets access units and AAC, and is closed at the end', async () => {
		for (const transport of ['tcp', 'udp'] as const) {
			const before = app.publishes.length;
			const { done } = publish(url(users, `${PUSH}?key=${KEY}`), transport, 3);
			const { code, stderr } = await done;
			expect(stderr).toBe('');
			expect(code).toBe(0);
			await sleep(200);
			const p = app.publishes[before];
			expect(p.tracks).toMatchObject({ video: { codec: 'h264' }, audio: { codec: 'aac', sampleRate: 48000, channels: 1 } });
			expect(p.video.length).toBeGreaterThanOrEqual(70);
			expect(p.video[0].keyframe).toBe(true);
			expect(p.audio.length).toBeGreaterThanOrEqual(120);
			for (let i = 1; i < p.video.length; i++) expect(p.video[i].dts).toBeGreaterThan(p.video[i - 1].dts);
			expect(p.closed).toBe('teardown');
		}
	});

	it('a second publisher is refused (453), a wrong key is 403', async () => {
		const first = publish(url(users, `${PUSH}?key=${KEY}`), 'tcp', 4);
		await sleep(1500);
		const second = await publish(url(users, `${PUSH}?key=${KEY}`), 'tcp', 1).done;
		expect(second.code).not.toBe(0);
		expect(second.stderr).toMatch(/453/);
		const wrong = await publish(url(users, `${PUSH}?key=nope`), 'tcp', 1).done;
		expect(wrong.stderr).toMatch(/403/);
		expect((await first.done).code).toBe(0);
		expect(users.connections().filter((c) => c.session === 'record')).toEqual([]);
	});

	it('a publisher that goes silent is dropped; one that disconnects is closed', async () => {
		const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z2QADazZQUH7ARAAAAMAEAAAAwMg8UKZYA==,aOvssiw=\r\na=control:streamid=0\r\n';
		for (const end of ['silence', 'disconnect'] as const) {
			const before = app.publishes.length;
			const c = new RawClient(users.port);
			const base = url(users, `${PUSH}?key=${KEY}`);
			expect((await c.request('ANNOUNCE', base, { 'Content-Type': 'application/sdp' }, sdp)).status).toBe(200);
			const setup = await c.request('SETUP', `${base}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
			expect(setup.headers.get('transport')).toBe('RTP/AVP/TCP;unicast;interleaved=0-1;mode=record');
			expect((await c.request('RECORD', base, { Session: setup.headers.get('session')!.split(';')[0] })).status).toBe(200);
			expect(app.publishes.length).toBe(before + 1);
			if (end === 'silence') {
				expect(await c.waitClosed(4000)).toBe(true);
				expect(app.publishes[before].closed).toBe('no data for 1.5 s');
			} else {
				c.close();
				await sleep(200);
				expect(app.publishes[before].closed).toBe('connection closed');
			}
		}
	});

	it('bad input gets an answer or a closed connection, while another reader plays on', async () => {
		const reader = probe(url(open, CAM), 'tcp', 4);
		await sleep(800);
		// Unknown method: 501, the connection stays.
		const a = new RawClient(open.port);
		expect((await a.request('FLY', url(open, CAM))).status).toBe(501);
		expect((await a.request('OPTIONS', '*')).headers.get('public')).toContain('DESCRIBE');
		// State errors.
		expect((await a.request('PLAY', url(open, CAM))).status).toBe(454);
		expect((await a.request('RECORD', url(open, CAM))).status).toBe(454);
		expect((await a.request('SETUP', url(open, CAM), { Transport: 'RTP/AVP/TCP;interleaved=0-1;mode=record' })).status).toBe(455);
		expect((await a.request('ANNOUNCE', url(open, `${PUSH}?key=${KEY}`), { 'Content-Type': 'text/plain' }, 'x')).status).toBe(415);
		expect((await a.request('ANNOUNCE', url(open, `${PUSH}?key=${KEY}`), { 'Content-Type': 'application/sdp' }, 'v=0\r\nm=audio 0 RTP/AVP 0\r\n')).status).toBe(415);
		a.close();
		// An oversized head: 400 and closed.
		const b = new RawClient(open.port);
		await b.connected();
		b.send(`OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(10_000)}\r\n\r\n`);
		expect((await b.next()).status).toBe(400);
		expect(await b.waitClosed()).toBe(true);
		// A body over 64 KiB: 413.
		const c = new RawClient(open.port);
		await c.connected();
		c.send('ANNOUNCE rtsp://x/y RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 100000\r\n\r\n');
		expect((await c.next()).status).toBe(413);
		expect(await c.waitClosed()).toBe(true);
		// Binary garbage, and a flood of it from several clients.
		const garbage = Array.from({ length: 20 }, () => new RawClient(open.port));
		for (const g of garbage) {
			await g.connected();
			for (let i = 0; i < 50; i++) g.send(Buffer.from(Array.from({ length: 1000 }, () => Math.floor(Math.random() * 256)).map((x) => (x === 0x24 ? 0 : x))));
		}
		await Promise.all(garbage.map((g) => g.waitClosed()));
		// A publisher sending garbage in interleaved frames: dropped, it stays connected.
		const p = new RawClient(open.port);
		const base = url(open, `${PUSH}?key=${KEY}`);
		const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:streamid=0\r\n';
		await p.request('ANNOUNCE', base, { 'Content-Type': 'application/sdp' }, sdp);
		const s = await p.request('SETUP', `${base}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
		await p.request('RECORD', base, { Session: s.headers.get('session')!.split(';')[0] });
		for (let i = 0; i < 500; i++) {
			const junk = Buffer.from(Array.from({ length: 1 + Math.floor(Math.random() * 1400) }, () => Math.floor(Math.random() * 256)));
			const frame = Buffer.alloc(4 + junk.length);
			frame[0] = 0x24;
			frame[1] = i % 4;
			frame.writeUInt16BE(junk.length, 2);
			junk.copy(frame, 4);
			p.send(frame);
		}
		expect((await p.request('GET_PARAMETER', base, { Session: s.headers.get('session')!.split(';')[0] })).status).toBe(200);
		p.close();
		const { probe: result, error } = await reader;
		expect(error).toBeUndefined();
		expect(frames(result, 'video')).toBeGreaterThanOrEqual(90);
		expect(logs.filter((l) => /Error|internal/.test(l))).toEqual([]);
	});
});

// Live video with real peers: GStreamer's RTSP server as the camera; ffprobe,
// ffmpeg and a WebSocket client as viewers. One upstream connection, always.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../support/server';
import { startFakeCamera, type FakeCamera } from '../support/fake-camera';
import { ffprobe, readFor, save, sleep, until, videoStream } from '../support/media';

const dir = mkdtempSync(path.join(tmpdir(), 'vantage-live-'));

/** An MSE session over WS /api/proxy/ws: the MIME answer and `ms` of binary data. */
async function mseSession(url: string, ms: number) {
	const ws = new WebSocket(url);
	const binary: Buffer[] = [];
	let mime = '';
	const errors: string[] = [];
	ws.on('message', (data, isBinary) => {
		if (isBinary) binary.push(data as Buffer);
		else {
			const msg = JSON.parse(data.toString());
			if (msg.type === 'mse') mime = msg.value;
			if (msg.type === 'error') errors.push(msg.value);
		}
	});
	await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
	ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029,avc1.64002A,avc1.640033,hvc1.1.6.L153.B0,mp4a.40.2,mp4a.40.5,flac,opus' }));
	await sleep(ms);
	ws.close();
	return { mime, data: Buffer.concat(binary), errors };
}

describe('live media from an RTSP camera', () => {
	let s: TestServer;
	let cam: FakeCamera;
	let admin: string;
	let id: string;

	beforeAll(async () => {
		cam = await startFakeCamera({ audio: true });
		s = await startServer('sqlite', { INGEST_IDLE_MS: '3000' });
		admin = await s.adminToken();
		const res = await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'gate', label: 'Gate', lat: 10, lon: 106, source: cam.url } });
		id = (await res.json()).id;
	});
	afterAll(async () => {
		await s?.stop();
		await cam?.stop();
	});

	it('GET /api/proxy/frame: an MP4 with exactly one keyframe', async () => {
		const res = await s.api(`/api/proxy/frame?id=${id}&token=${admin}`);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('video/mp4');
		const probe = await ffprobe(save(path.join(dir, 'frame.mp4'), Buffer.from(await res.arrayBuffer())));
		expect(probe.streams).toHaveLength(1);
		expect(videoStream(probe)).toMatchObject({ codec_name: 'h264', width: 1280, height: 720, nb_read_frames: '1' });
	});

	it('GET /api/proxy/frame.jpeg: the keyframe as JPEG', async () => {
		const res = await s.api(`/api/proxy/frame.jpeg?id=${id}`, { token: admin });
		expect(res.headers.get('content-type')).toBe('image/jpeg');
		const probe = await ffprobe(save(path.join(dir, 'frame.jpg'), Buffer.from(await res.arrayBuffer())));
		expect(videoStream(probe)).toMatchObject({ codec_name: 'mjpeg', width: 1280, height: 720 });
	});

	it('GET /api/proxy/mp4: a continuous fragmented MP4 that ffprobe reads (video + AAC from G.711)', async () => {
		const { status, type, body } = await readFor(`${s.base}/api/proxy/mp4?id=${id}&token=${admin}`, 3000);
		expect(status).toBe(200);
		expect(type).toBe('video/mp4');
		const probe = await ffprobe(save(path.join(dir, 'live.mp4'), body));
		const video = videoStream(probe)!;
		expect(video).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
		expect(Number(video.nb_read_frames)).toBeGreaterThan(45);
		expect(probe.streams.find((x) => x.codec_type === 'audio')?.codec_name).toBe('aac');
	});

	it('WS mse: the MIME type, then init and fragments from a keyframe', async () => {
		const { mime, data, errors } = await mseSession(`${s.base.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${admin}`, 2500);
		expect(errors).toEqual([]);
		expect(mime).toMatch(/^video\/mp4; codecs="avc1\.42[0-9a-f]{4},mp4a\.40\.2"$/);
		const probe = await ffprobe(save(path.join(dir, 'mse.mp4'), data));
		expect(Number(videoStream(probe)!.nb_read_frames)).toBeGreaterThan(40);
	});

	it('GET /api/proxy/hls: ffmpeg plays the LL-HLS playlist', async () => {
		const res = await s.api(`/api/proxy/hls?id=${id}&token=${admin}`);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
		const master = await res.text();
		expect(master).toMatch(/^#EXTM3U/);
		expect(master).toContain('CODECS="avc1.42');
		const probe = await ffprobe(`${s.base}/api/proxy/hls?id=${id}&token=${admin}`, { extra: ['-read_intervals', '%+3'] });
		expect(videoStream(probe)).toMatchObject({ codec_name: 'h264', width: 1280 });
		expect(Number(videoStream(probe)!.nb_read_frames)).toBeGreaterThan(30);
	});

	it('WS errors answer in the protocol\'s envelope', async () => {
		const ws = new WebSocket(`${s.base.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${admin}`);
		const replies: unknown[] = [];
		ws.on('message', (d) => replies.push(JSON.parse(d.toString())));
		await new Promise((r) => ws.once('open', r));
		ws.send('not json');
		ws.send(JSON.stringify({ type: 'teleport' }));
		ws.send(JSON.stringify({ type: 'webrtc/offer', value: 42 }));
		ws.send(JSON.stringify({ type: 'webrtc/candidate', value: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' }));
		await until(() => replies.length >= 4, 5000, 'four error replies');
		ws.close();
		expect(replies).toEqual([
			{ type: 'error', value: 'message: not JSON' },
			{ type: 'error', value: 'teleport: unknown request type' },
			{ type: 'error', value: 'webrtc/offer: value must be an SDP offer' },
			{ type: 'error', value: 'webrtc/candidate: no WebRTC session: send webrtc/offer first' }
		]);
	});

	it('a viewer without rights gets nothing: 404 on every media endpoint and the WebSocket', async () => {
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'nobody', password: 'nobody-password', cameras: [] } });
		const token = await s.login('nobody', 'nobody-password');
		for (const p of ['frame', 'frame.jpeg', 'mp4', 'hls', 'hls/index.m3u8', 'hls/init.mp4']) {
			const res = await s.api(`/api/proxy/${p}?id=${id}&token=${token}`);
			expect(res.status, p).toBe(404);
			expect(await res.json()).toEqual({ error: 'camera not found' });
		}
		expect((await s.api(`/api/proxy/frame?id=${id}`)).status).toBe(401);
		const status = await new Promise<number>((resolve) => {
			const ws = new WebSocket(`${s.base.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${token}`);
			ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
			ws.on('open', () => resolve(101));
		});
		expect(status).toBe(404);
	});

	it('the camera API reports the live status', async () => {
		const cam = await (await s.api(`/api/cameras/${id}`, { token: admin })).json();
		expect(cam.status).toMatchObject({ state: 'online', codec: expect.stringMatching(/^avc1\./), audioCodec: 'mp4a.40.2', width: 1280, height: 720 });
		expect(cam.status.fps).toBeGreaterThan(20);
		expect(cam.status.bitrate).toBeGreaterThan(100_000);
	});

	it('with viewers on several protocols at once, the camera sees one client', async () => {
		const own = await startFakeCamera();
		try {
			const res = await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'counted', source: own.url } });
			const cid = (await res.json()).id;
			const q = `id=${cid}&token=${admin}`;
			const [mp4a, mp4b, mse, frame, hls] = await Promise.all([
				readFor(`${s.base}/api/proxy/mp4?${q}`, 5000),
				readFor(`${s.base}/api/proxy/mp4?${q}`, 5000),
				mseSession(`${s.base.replace('http', 'ws')}/api/proxy/ws?${q}`, 5000),
				s.api(`/api/proxy/frame?${q}`).then(async (r) => Buffer.from(await r.arrayBuffer())),
				ffprobe(`${s.base}/api/proxy/hls?${q}`, { extra: ['-read_intervals', '%+2'] })
			]);
			for (const body of [mp4a.body, mp4b.body, mse.data, frame]) expect(body.length).toBeGreaterThan(2000);
			expect(videoStream(hls)?.codec_name).toBe('h264');
			expect(own.clients()).toBe(1);
		} finally {
			await own.stop();
		}
	});

	it('a camera that goes away and comes back resumes by itself', async () => {
		const detach = readFor(`${s.base}/api/proxy/mp4?id=${id}&token=${admin}`, 25_000);
		await until(async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).status.state === 'online', 10_000, 'online');
		await cam.stop();
		await until(async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).status.state === 'error', 20_000, 'error state');
		await cam.start();
		await until(async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).status.state === 'online', 20_000, 'back online');
		const res = await s.api(`/api/proxy/frame?id=${id}&token=${admin}`);
		expect(videoStream(await ffprobe(save(path.join(dir, 'after.mp4'), Buffer.from(await res.arrayBuffer()))))?.nb_read_frames).toBe('1');
		await detach;
	});
});

describe('the demo camera and file sources', () => {
	let s: TestServer;
	beforeAll(async () => {
		s = await startServer('sqlite', { DEMO_CAMERA: 'true' });
	});
	afterAll(() => s?.stop());

	it('a fresh install has one demo camera on the map that plays at once', async () => {
		const admin = await s.adminToken();
		const cams = await (await s.api('/api/cameras', { token: admin })).json();
		expect(cams).toEqual([{ id: expect.stringMatching(/^[0-9a-f]{12}$/), name: 'demo', label: 'Demo camera', lat: 10.7769, lon: 106.7009 }]);
		const res = await s.api(`/api/proxy/frame?id=${cams[0].id}&token=${admin}`);
		expect(videoStream(await ffprobe(save(path.join(dir, 'demo.mp4'), Buffer.from(await res.arrayBuffer())))))
			.toMatchObject({ codec_name: 'h264', width: 1280, height: 720, nb_read_frames: '1' });
		expect((await s.api(`/api/cameras/${cams[0].id}`, { method: 'DELETE', token: admin })).status).toBe(204);
	});

	it('a file:// source plays in a loop', async () => {
		const file = path.join(dir, 'clip.mp4');
		const { execFileSync } = await import('node:child_process');
		execFileSync('ffmpeg', ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '2', '-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p', file]);
		const admin = await s.adminToken();
		const { id } = await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'clip', source: `file://${file}` } })).json();
		const { body } = await readFor(`${s.base}/api/proxy/mp4?id=${id}&token=${admin}`, 4500);
		const video = videoStream(await ffprobe(save(path.join(dir, 'clip-live.mp4'), body)))!;
		expect(video).toMatchObject({ codec_name: 'h264', width: 640 });
		// More frames than the 2 s file holds: it looped.
		expect(Number(video.nb_read_frames)).toBeGreaterThan(60);
	});
});

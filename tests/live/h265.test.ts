// H.265 cameras pass through untouched to MP4, MSE, HLS and the keyframe frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../support/server';
import { ffprobe, readFor, save, sleep, videoStream } from '../support/media';

describe('an H.265 camera', () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'vantage-h265-'));
	let s: TestServer;
	let admin: string;
	let id: string;

	beforeAll(async () => {
		const file = path.join(dir, 'hevc.mp4');
		execFileSync('ffmpeg', ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '3', '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:log-level=error', '-pix_fmt', 'yuv420p', file]);
		s = await startServer('sqlite');
		admin = await s.adminToken();
		id = (await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'hevc', source: `file://${file}` } })).json()).id;
	});
	afterAll(() => s?.stop());

	it('reports its codec and plays over /api/proxy/mp4 without transcoding', async () => {
		const { body } = await readFor(`${s.base}/api/proxy/mp4?id=${id}&token=${admin}`, 3500);
		const video = videoStream(await ffprobe(save(path.join(dir, 'live.mp4'), body)))!;
		expect(video).toMatchObject({ codec_name: 'hevc', width: 640, height: 360 });
		const cam = await (await s.api(`/api/cameras/${id}`, { token: admin })).json();
		expect(cam.status.codec).toMatch(/^(hvc1|hev1)\.1\./);
	});

	it('gives an H.265 keyframe as frame and JPEG', async () => {
		const frame = await s.api(`/api/proxy/frame?id=${id}&token=${admin}`);
		expect(videoStream(await ffprobe(save(path.join(dir, 'frame.mp4'), Buffer.from(await frame.arrayBuffer()))))).toMatchObject({ codec_name: 'hevc', nb_read_frames: '1' });
		const jpeg = await s.api(`/api/proxy/frame.jpeg?id=${id}&token=${admin}`);
		expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
	});

	it('offers H.265 over MSE to a client that lists it, and refuses one that does not', async () => {
		const session = async (codecs: string) => {
			const ws = new WebSocket(`${s.base.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${admin}`);
			const texts: { type: string; value: string }[] = [];
			let bytes = 0;
			ws.on('message', (d, binary) => (binary ? (bytes += (d as Buffer).length) : texts.push(JSON.parse(d.toString()))));
			await new Promise((r) => ws.once('open', r));
			ws.send(JSON.stringify({ type: 'mse', value: codecs }));
			await sleep(2000);
			ws.close();
			return { texts, bytes };
		};
		const yes = await session('avc1.640029,hvc1.1.6.L153.B0,mp4a.40.2');
		expect(yes.texts[0]).toEqual({ type: 'mse', value: expect.stringMatching(/^video\/mp4; codecs="(hvc1|hev1)\.1\./) });
		expect(yes.bytes).toBeGreaterThan(10_000);
		const no = await session('avc1.640029,mp4a.40.2');
		expect(no.texts).toEqual([{ type: 'error', value: 'mse: no video track this client can play' }]);
		expect(no.bytes).toBe(0);
	});

	it('plays over HLS', async () => {
		const probe = await ffprobe(`${s.base}/api/proxy/hls?id=${id}&token=${admin}`, { extra: ['-read_intervals', '%+2'] });
		expect(videoStream(probe)?.codec_name).toBe('hevc');
	});
});

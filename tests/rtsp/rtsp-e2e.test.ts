// The RTSP server in the real app (node server.js, SQLite): restream of a
// GStreamer RTSP camera (H.264 + G.711, which ingest makes AAC) to ffprobe and
// ffmpeg over TCP and UDP, with the platform's users and rights or the fixed
// RTSP credentials; an ffmpeg publishing to a push camera, played back over
// RTSP and /api/proxy/mp4; garbage beside a reader; the camera opened once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, startServer, type TestServer } from '../support/server';
import { startFakeCamera, type FakeCamera } from '../support/fake-camera';
import { ffprobe, readFor, save, sleep, until, videoStream, type Probe } from '../support/media';
import { publishTestStream as publisher } from '../support/publisher';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'vantage-rtsp-e2e-'));

/** ffprobe over RTSP for `seconds`; the probe or ffprobe's complaint. */
async function probeRtsp(url: string, transport: 'tcp' | 'udp', seconds = 2): Promise<{ probe?: Probe; error?: string }> {
	try {
		return { probe: await ffprobe(url, { extra: ['-rtsp_transport', transport, '-read_intervals', `%+${seconds}`], timeoutMs: 40_000 }) };
	} catch (e) {
		return { error: String((e as { stderr?: string }).stderr ?? e) };
	}
}

const frames = (p: Probe | undefined, type: string) => Number(p?.streams.find((s) => s.codec_type === type)?.nb_read_frames ?? 0);

/** ffmpeg reading RTSP with -c copy into nothing until killed. */
function reader(url: string, transport: 'tcp' | 'udp'): ChildProcess {
	return spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', transport, '-i', url, '-c', 'copy', '-f', 'null', '-'], { stdio: 'ignore' });
}

/** User + system CPU seconds of a process, from /proc. */
function cpuSeconds(pid: number): number {
	// After "(comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12; clock ticks of 1/100 s.
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
	return (Number(stat[11]) + Number(stat[12])) / 100;
}

// Runs once the app starts the RTSP server (src/hooks.server.ts calls startRtspServer) and is built.
const wired = readFileSync(path.join(import.meta.dirname, '../../src/hooks.server.ts'), 'utf8').includes('startRtspServer');

describe.skipIf(!wired)('RTSP restream and publish in the app', () => {
	let s: TestServer;
	let cam: FakeCamera;
	let admin: string;
	let rtspPort: number;
	let camId: string;
	let otherId: string;
	let pushId: string;
	let pushKey: string;
	const rtsp = (id: string, cred = '', query = '') => `rtsp://${cred}127.0.0.1:${rtspPort}/${id}${query}`;

	beforeAll(async () => {
		cam = await startFakeCamera({ audio: true });
		rtspPort = await freePort();
		const udp = await freePort();
		s = await startServer('sqlite', {
			RTSP_PORT: String(rtspPort),
			RTSP_USERNAME: 'nvr',
			RTSP_PASSWORD: 'nvr-password',
			RTSP_UDP_PORTS: `${udp + (udp % 2)}-${udp + (udp % 2) + 99}`,
			INGEST_IDLE_MS: '5000'
		});
		admin = await s.adminToken();
		const make = async (body: object) => (await s.api('/api/cameras', { method: 'POST', token: admin, body })).json();
		camId = (await make({ name: 'gate', source: cam.url })).id;
		otherId = (await make({ name: 'roof', source: `rtsp://127.0.0.1:${await freePort()}/nothing` })).id;
		const push = await make({ name: 'pushed', source: 'push' });
		pushId = push.id;
		pushKey = push.pushKey ?? (await (await s.api(`/api/cameras/${pushId}`, { token: admin })).json()).pushKey;
		expect(pushKey).toMatch(/^[0-9a-f]{32}$/);
		const user = await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'viewer1', password: 'viewer-password', role: 'viewer', cameras: [camId, pushId] } });
		expect(user.status).toBe(201);
		await until(() => s.output().includes('rtsp: listening'), 10_000, 'the RTSP server');
	});
	afterAll(async () => {
		await s?.stop();
		await cam?.stop();
	});

	it('ffprobe reads the camera (H.264 + AAC) over TCP and UDP: a platform user by Basic (?auth=basic), the fixed account by Digest', async () => {
		for (const transport of ['tcp', 'udp'] as const) {
			for (const url of [rtsp(camId, 'viewer1:viewer-password@', '?auth=basic'), rtsp(camId, 'nvr:nvr-password@')]) {
				const { probe, error } = await probeRtsp(url, transport);
				expect(error, `${transport} ${url}`).toBeUndefined();
				expect(videoStream(probe!)).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
				expect(probe!.streams.find((x) => x.codec_type === 'audio')?.codec_name).toBe('aac');
				expect(frames(probe, 'video')).toBeGreaterThanOrEqual(40);
			}
		}
	});

	it('no credentials, wrong ones, a platform user by Digest: 401; a camera not granted: 404', async () => {
		expect((await probeRtsp(rtsp(camId), 'tcp', 1)).error).toMatch(/401/);
		expect((await probeRtsp(rtsp(camId, 'viewer1:nope@', '?auth=basic'), 'tcp', 1)).error).toMatch(/401/);
		expect((await probeRtsp(rtsp(camId, 'nvr:nope@'), 'tcp', 1)).error).toMatch(/401/);
		expect((await probeRtsp(rtsp(camId, 'viewer1:viewer-password@'), 'tcp', 1)).error).toMatch(/401/);
		expect((await probeRtsp(rtsp(otherId, 'viewer1:viewer-password@', '?auth=basic'), 'tcp', 1)).error).toMatch(/404/);
		expect((await probeRtsp(rtsp('ffffffffffff', 'nvr:nvr-password@'), 'tcp', 1)).error).toMatch(/404/);
	});

	it('readers are consumers of the hub; the camera is opened once for all of them', async () => {
		const before = cam.clients();
		const readers = [reader(rtsp(camId, 'nvr:nvr-password@'), 'tcp'), reader(rtsp(camId, 'nvr:nvr-password@'), 'udp'), reader(rtsp(camId, 'viewer1:viewer-password@', '?auth=basic'), 'tcp')];
		try {
			const consumers = await until(
				async () => {
					const list = await (await s.api(`/api/cameras/${camId}/consumers`, { token: admin })).json();
					const r = list.filter((c: { protocol: string; bytes: number }) => c.protocol === 'rtsp' && c.bytes > 0);
					return r.length === 3 && r;
				},
				15_000,
				'three RTSP consumers'
			);
			expect(consumers.every((c: { remoteAddress: string }) => c.remoteAddress === '127.0.0.1')).toBe(true);
			expect(cam.clients() - before).toBeLessThanOrEqual(1);
		} finally {
			for (const r of readers) r.kill('SIGKILL');
		}
	});

	it('garbage on other connections does not disturb a reader', async () => {
		const probing = probeRtsp(rtsp(camId, 'nvr:nvr-password@'), 'tcp', 4);
		await sleep(1000);
		const junk = await Promise.all(
			Array.from({ length: 10 }, () => new Promise<net.Socket>((resolve) => {
				const c = net.connect(rtspPort, '127.0.0.1', () => resolve(c));
				c.on('error', () => {});
			}))
		);
		for (const [i, c] of junk.entries()) {
			if (i % 3 === 0) c.write(`OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`);
			else if (i % 3 === 1) c.write('FLY rtsp://x/y RTSP/1.0\r\nCSeq: 1\r\n\r\n\x00\x01\x02garbage\r\n\r\n');
			else for (let k = 0; k < 200; k++) c.write(Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))));
		}
		const { probe, error } = await probing;
		for (const c of junk) c.destroy();
		expect(error).toBeUndefined();
		expect(frames(probe, 'video')).toBeGreaterThanOrEqual(90);
		expect((await s.api('/api/health')).ok).toBe(true);
	});

	it('ffmpeg publishes to the push camera; it plays over RTSP and /api/proxy/mp4; a second publisher is refused', async () => {
		expect((await publisher(rtsp(pushId, '', '?key=wrong'), 1).done).stderr).toMatch(/40[13]/);
		const pub = publisher(rtsp(pushId, '', `?key=${pushKey}`), 20);
		try {
			await until(async () => (await (await s.api(`/api/cameras/${pushId}`, { token: admin })).json()).status?.state === 'online', 15_000, 'the pushed camera online');
			const second = await publisher(rtsp(pushId, '', `?key=${pushKey}`), 2).done;
			expect(second.code).not.toBe(0);
			expect(second.stderr).toMatch(/453|503/);
			const { probe, error } = await probeRtsp(rtsp(pushId, 'viewer1:viewer-password@', '?auth=basic'), 'tcp', 2);
			expect(error).toBeUndefined();
			expect(videoStream(probe!)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
			expect(frames(probe, 'video')).toBeGreaterThanOrEqual(30);
			const viewer = await s.login('viewer1', 'viewer-password');
			const { status, body } = await readFor(`${s.base}/api/proxy/mp4?id=${pushId}&token=${viewer}`, 3000);
			expect(status).toBe(200);
			const mp4 = await ffprobe(save(path.join(dir, 'pushed.mp4'), body));
			expect(videoStream(mp4)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
			expect(Number(videoStream(mp4)!.nb_read_frames)).toBeGreaterThanOrEqual(40);
		} finally {
			pub.proc.kill('SIGKILL');
		}
		// The publisher went away: the camera goes offline.
		await until(async () => (await (await s.api(`/api/cameras/${pushId}`, { token: admin })).json()).status?.state !== 'online', 15_000, 'the pushed camera offline');
	});

	it('CPU of the restream per RTSP reader (node process, 15 s, 0 vs 10 ffmpeg readers -c copy; a 4 Mbit/s 720p camera)', async () => {
		// A busier camera than the test pattern's ball: 720p25 at 4 Mbit/s with AAC, from a file played in a loop.
		const file = path.join(dir, 'busy.mp4');
		await run('ffmpeg', ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '10',
			'-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '2M', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file]);
		const busyId = (await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'busy', source: `file://${file}` } })).json()).id;
		const pid = Number((await run('pgrep', ['-f', `node server.js`])).stdout.split('\n').find((p) => p && existsProc(Number(p), s.dataDir)));
		expect(pid).toBeGreaterThan(0);
		// Keep the camera's ingest up without readers: one long-lived consumer over MP4.
		const hold = readFor(`${s.base}/api/proxy/mp4?id=${busyId}&token=${admin}`, 50_000);
		await sleep(3000);
		const measure = async () => {
			const a = cpuSeconds(pid);
			await sleep(15_000);
			return cpuSeconds(pid) - a;
		};
		const idle = await measure();
		const readers = Array.from({ length: 10 }, () => reader(rtsp(busyId, 'nvr:nvr-password@'), 'tcp'));
		const rtspBytes = async () =>
			((await (await s.api(`/api/cameras/${busyId}/consumers`, { token: admin })).json()) as { protocol: string; bytes: number }[]).filter((c) => c.protocol === 'rtsp');
		await sleep(3000);
		const start = await rtspBytes();
		expect(start.length).toBe(10);
		const busy = await measure();
		const end = await rtspBytes();
		expect(end.every((c) => c.bytes > 0)).toBe(true);
		const sent = end.reduce((n, c) => n + c.bytes, 0) - start.reduce((n, c) => n + c.bytes, 0);
		for (const r of readers) r.kill('SIGKILL');
		await hold;
		const perReader = (busy - idle) / 10 / 15;
		const { status } = await (await s.api(`/api/cameras/${busyId}`, { token: admin })).json();
		console.log(
			`camera: ${status.codec} ${status.width}x${status.height} ${status.fps} fps ${(status.bitrate / 1e6).toFixed(2)} Mbit/s (fMP4 from ingest)`
		);
		console.log(
			`RTSP restream CPU: 0 readers ${((idle / 15) * 100).toFixed(1)} %, 10 readers ${((busy / 15) * 100).toFixed(1)} % of one core; ` +
				`per reader ${(perReader * 100).toFixed(2)} %; ${((sent * 8) / 15 / 1e6).toFixed(1)} Mbit/s sent to the 10 readers`
		);
		expect(perReader).toBeLessThan(0.05);
	}, 90_000);
});

/** The server process of this test: its environment names its DATA_DIR. */
function existsProc(pid: number, dataDir: string): boolean {
	try {
		return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`DATA_DIR=${dataDir}`);
	} catch {
		return false;
	}
}

// WebRTC audio through the real server: a G.711 RTSP camera (the hub holds
// AAC: ingest transcodes it) is heard in Chromium through go2rtc's WS
// protocol, by way of an AAC→Opus ffmpeg that runs only while a viewer takes
// audio; a camera that sends Opus goes to the SFU untouched. Plus the ADTS
// framing that transcoder reads, against ffmpeg's own ADTS muxer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from '@playwright/test';
import { adtsFormat, adtsFrame } from '../../src/lib/server/live/adts';
import { Fmp4Splitter } from '../../src/lib/server/media/fmp4';
import { startServer, type TestServer } from '../support/server';
import { startFakeCamera, type FakeCamera } from '../support/fake-camera';
import { sleep, until } from '../support/media';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'vantage-webrtc-audio-'));
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

/**
 * The pids of the AAC→Opus transcoders (ffmpeg with libopus reading stdin) of
 * the server using `dataDir` (they inherit its DATA_DIR): other tests may be
 * encoding Opus at the same time.
 */
function transcoders(dataDir: string): number[] {
	let pids: number[];
	try {
		pids = execFileSync('pgrep', ['-f', 'libopus'], { encoding: 'utf8' }).trim().split('\n').map(Number);
	} catch {
		return []; // pgrep exits 1 when nothing matches
	}
	return pids.filter((pid) => {
		try {
			const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
			return cmdline.includes('pipe:0') && readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`DATA_DIR=${dataDir}`);
		} catch {
			return false; // gone meanwhile
		}
	});
}

/** CPU time (user + system) of a process, in seconds. */
function cpuSeconds(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
	return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
}

describe('ADTS framing of the hub AAC samples', () => {
	it("rebuilds ffmpeg's ADTS stream byte for byte from the MP4 samples and AudioSpecificConfig", async () => {
		const adts = path.join(dir, 'sine.aac');
		const mp4 = path.join(dir, 'sine.mp4');
		// As ingest writes it (fragmented MP4), then remuxed by ffmpeg's ADTS muxer.
		await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000', '-t', '1', '-ac', '1', '-c:a', 'aac', '-b:a', '32k', '-f', 'mp4', '-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1', mp4]);
		await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', mp4, '-c', 'copy', '-f', 'adts', adts]);
		const events = new Fmp4Splitter().push(readFileSync(mp4));
		const track = events.flatMap((e) => (e.type === 'init' ? e.init.tracks : []))[0];
		const samples = events.flatMap((e) => (e.type === 'fragment' ? e.fragment.samples : []));
		expect(track).toMatchObject({ codec: 'aac', sampleRate: 8000, channels: 1 });
		expect(samples.length).toBeGreaterThan(5);
		const format = adtsFormat(track.config!);
		expect(format).toEqual({ profile: 1, rateIndex: 11, channelConfig: 1 });
		expect(Buffer.concat(samples.map((s) => adtsFrame(format, s.data))).equals(readFileSync(adts))).toBe(true);
	});

	it('frames HE-AAC as its AAC-LC core and refuses what ADTS cannot carry', () => {
		expect(adtsFormat(Buffer.from('1190', 'hex'))).toEqual({ profile: 1, rateIndex: 3, channelConfig: 2 }); // LC 48 kHz stereo
		expect(adtsFormat(Buffer.from('2b1188', 'hex'))).toEqual({ profile: 1, rateIndex: 6, channelConfig: 2 }); // SBR 24→48 kHz, explicit
		expect(() => adtsFormat(Buffer.from('f8e640', 'hex'))).toThrow(/object type 39/); // AAC-ELD 48 kHz stereo
		expect(() => adtsFormat(Buffer.from('1180', 'hex'))).toThrow(/channel configuration 0/); // program config element
		expect(() => adtsFormat(Buffer.from('12', 'hex'))).toThrow(/too short/);
	});
});

interface PageResult {
	error?: string;
	videoFrames: number;
	audio?: { packetsReceived: number; totalSamplesReceived: number; audioLevel: number; codec?: string };
	/** totalSamplesReceived and packetsReceived one second after the first reading. */
	laterSamples?: number;
	laterPackets?: number;
}

// Runs in the page: go2rtc's player protocol over WS /api/proxy/ws, the browser offers (video then audio).
// Watches until it got enough, and at least `minMs`.
async function viewInPage(opts: { url: string; audio: boolean; timeoutMs: number; minMs: number }): Promise<PageResult> {
	const t0 = performance.now();
	const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers: [] });
	pc.addTransceiver('video', { direction: 'recvonly' });
	if (opts.audio) pc.addTransceiver('audio', { direction: 'recvonly' });
	const els: HTMLMediaElement[] = [];
	pc.ontrack = (e) => {
		const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
		el.muted = e.track.kind === 'video';
		el.autoplay = true;
		el.srcObject = new MediaStream([e.track]);
		document.body.appendChild(el);
		els.push(el);
		void el.play().catch(() => {});
	};
	const ws = new WebSocket(opts.url);
	const answered = new Promise<string>((resolve, reject) => {
		ws.onmessage = (m) => {
			const msg = JSON.parse(m.data);
			if (msg.type === 'webrtc/answer') resolve(msg.value);
			if (msg.type === 'error') reject(new Error(msg.value));
		};
		ws.onerror = () => reject(new Error('websocket error'));
	});
	await new Promise((resolve) => (ws.onopen = resolve));
	pc.onicecandidate = (e) => ws.send(JSON.stringify({ type: 'webrtc/candidate', value: e.candidate ? e.candidate.candidate : '' }));
	await pc.setLocalDescription(await pc.createOffer());
	ws.send(JSON.stringify({ type: 'webrtc/offer', value: pc.localDescription!.sdp }));
	try {
		await pc.setRemoteDescription({ type: 'answer', sdp: await answered });
	} catch (e) {
		return { error: String(e), videoFrames: 0 };
	}
	const read = async () => {
		const r: PageResult = { videoFrames: 0 };
		const report = await pc.getStats();
		report.forEach((s) => {
			if (s.type !== 'inbound-rtp') return;
			if (s.kind === 'video') r.videoFrames = s.framesDecoded ?? 0;
			if (s.kind === 'audio') {
				const codec = s.codecId ? report.get(s.codecId) : undefined;
				r.audio = { packetsReceived: s.packetsReceived, totalSamplesReceived: s.totalSamplesReceived, audioLevel: s.audioLevel, codec: codec && `${codec.payloadType} ${codec.mimeType}` };
			}
		});
		return r;
	};
	const deadline = t0 + opts.timeoutMs;
	let r = await read();
	const done = (x: PageResult) =>
		performance.now() - t0 >= opts.minMs && x.videoFrames > 30 && (!opts.audio || (!!x.audio && x.audio.packetsReceived > 100 && x.audio.audioLevel > 0));
	while (performance.now() < deadline && !done(r)) {
		await new Promise((res) => setTimeout(res, 200));
		r = await read();
	}
	if (opts.audio && r.audio) {
		await new Promise((res) => setTimeout(res, 1000));
		const later = (await read()).audio;
		r.laterSamples = later?.totalSamplesReceived;
		r.laterPackets = later?.packetsReceived;
	}
	ws.close();
	pc.close();
	for (const el of els) el.remove();
	return r;
}

describe('WebRTC audio through the server (Janus + Chromium)', () => {
	let s: TestServer;
	let cam: FakeCamera;
	let browser: Browser;
	let admin: string;
	let g711: string;
	let opusCam: string;
	const running = () => transcoders(s.dataDir);

	beforeAll(async () => {
		// A camera that sends Opus: H.264 + Opus in a file, played in a loop by ingest (-c copy).
		const file = path.join(dir, 'h264-with-opus.mp4');
		const make = run('ffmpeg', [
			'-hide_banner', '-loglevel', 'error', '-y',
			'-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=48000', '-t', '10',
			'-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '30',
			'-c:a', 'libopus', '-b:a', '32k', '-ac', '1', file
		]);
		[cam, s, browser] = await Promise.all([startFakeCamera({ audio: true }), startServer('sqlite', { INGEST_IDLE_MS: '3000' }), chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })]);
		await make;
		admin = await s.adminToken();
		const create = async (name: string, source: string) => {
			const res = await s.api('/api/cameras', { method: 'POST', token: admin, body: { name, label: name, lat: 10, lon: 106, source } });
			expect(res.status).toBe(201);
			return (await res.json()).id as string;
		};
		g711 = await create('door', cam.url);
		opusCam = await create('yard', `file://${file}`);
	});

	afterAll(async () => {
		if (process.env.SHOW_SERVER_LOG) console.log(s?.output());
		await browser?.close();
		await s?.stop();
		await cam?.stop();
		rmSync(dir, { recursive: true, force: true });
	});

	/** A page watching the camera for at least `minMs` while `during` runs. */
	async function view(id: string, audio: boolean, minMs: number, during?: () => Promise<void>) {
		const page = await browser.newPage();
		await page.goto(`${s.base}/api/health`);
		const url = `ws://127.0.0.1:${s.port}/api/proxy/ws?id=${id}&token=${admin}`;
		const viewing = page.evaluate(viewInPage, { url, audio, timeoutMs: 30_000, minMs });
		await during?.();
		const r = await viewing;
		await page.close();
		console.log(`[webrtc audio] camera ${id}, audio ${audio}: ${JSON.stringify(r)}`);
		return r;
	}

	it('a G.711 camera (AAC in the hub) is heard: AAC→Opus runs while the viewer takes audio, survives a crash, stops after', async () => {
		let cpu = '';
		const r = await view(g711, true, 16_000, async () => {
			const [pid] = await until(() => (running().length ? running() : null), 15_000, 'an AAC→Opus transcoder');
			expect(running()).toEqual([pid]); // one per camera
			await sleep(2000); // past start-up
			const [c0, t0] = [cpuSeconds(pid), Date.now()];
			await sleep(5000);
			cpu = (((cpuSeconds(pid) - c0) / ((Date.now() - t0) / 1000)) * 100).toFixed(2);
			// ffmpeg dies: it is restarted (0.5 s backoff) while the viewer still takes audio.
			process.kill(pid, 'SIGKILL');
			await until(() => running().length === 1 && running()[0] !== pid, 5000, 'the transcoder to restart');
		});
		console.log(`[webrtc audio] AAC→Opus ffmpeg CPU: ${cpu} % of a core`);
		expect(r.error).toBeUndefined();
		expect(r.videoFrames).toBeGreaterThan(30);
		expect(r.audio?.codec).toBe('111 audio/opus');
		expect(r.audio!.packetsReceived).toBeGreaterThan(100);
		expect(r.audio!.audioLevel).toBeGreaterThan(0);
		expect(r.laterSamples!).toBeGreaterThan(r.audio!.totalSamplesReceived);
		expect(r.laterPackets! - r.audio!.packetsReceived).toBeGreaterThan(25); // still flowing after the restart (50/s)
		// The page closed: the transcoder goes with its last audio viewer.
		await until(() => running().length === 0, 10_000, 'the transcoder to stop');
	});

	it('a viewer without audio starts no transcoder', async () => {
		const r = await view(g711, false, 4000, async () => {
			await sleep(3000);
			expect(running()).toEqual([]);
		});
		expect(r.videoFrames).toBeGreaterThan(30);
		expect(r.audio).toBeUndefined();
	});

	it('a camera that sends Opus is heard without transcoding', async () => {
		const r = await view(opusCam, true, 4000, async () => {
			await sleep(3000);
			expect(running()).toEqual([]);
		});
		expect(r.error).toBeUndefined();
		expect(r.videoFrames).toBeGreaterThan(30);
		expect(r.audio!.packetsReceived).toBeGreaterThan(100);
		expect(r.audio!.audioLevel).toBeGreaterThan(0);
		expect(r.laterPackets! - r.audio!.packetsReceived).toBeGreaterThan(25);
	});
});

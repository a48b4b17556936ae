// End to end: a spawned Janus, a real H.264 stream pushed through openMount
// (and, for a second camera, Opus audio beside it), and Chromium watching it
// through the SDP bridge the way go2rtc's player does (recvonly video +
// recvonly audio, the browser offers). Asserts frames are decoded at 1280
// wide, audio is played, and prints the time to first frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { Sfu, type MountSink, type WebRtcViewer } from '../../src/lib/server/sfu/sfu';
import { startH264Source, type H264Source } from './h264-source';
import { startOpusSource, type OpusSource } from './opus-source';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required', ...(process.env.EXTRA_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean)];

interface ViewOptions {
	bundlePolicy: RTCBundlePolicy;
	audioFirst?: boolean;
	/** No audio transceiver at all. */
	videoOnly?: boolean;
	bareCandidates?: boolean;
	/** The camera (default cam1: video only; cam2 has Opus audio too). */
	camera?: string;
	/** Wait for audio too (played from an <audio> element). */
	audio?: boolean;
}

interface AudioStats {
	packetsReceived: number;
	totalSamplesReceived: number;
	audioLevel: number;
	codec?: string;
}

interface PageResult {
	frames: number;
	width: number;
	height: number;
	firstFrameMs: number | null;
	answerMs: number;
	iceState: string;
	stats?: Record<string, unknown>;
	audio?: AudioStats;
	/** Direction of the browser's audio transceiver after the answer (null: none). */
	audioDirection?: string | null;
	error?: string;
}

// Runs in the page: go2rtc-style offer, answer through the exposed functions, count decoded frames.
async function viewInPage(opts: { timeoutMs: number } & ViewOptions): Promise<PageResult> {
	const w = window as unknown as {
		sfuWatch(offer: string): Promise<string>;
		sfuCandidate(c: string | null, mid: string | null, idx: number | null): Promise<void>;
	};
	const video = document.createElement('video');
	video.muted = true;
	video.autoplay = true;
	video.playsInline = true;
	document.body.appendChild(video);
	const audioEl = document.createElement('audio');
	audioEl.autoplay = true;
	document.body.appendChild(audioEl);
	const pc = new RTCPeerConnection({ bundlePolicy: opts.bundlePolicy, iceServers: [] });
	const kinds = opts.videoOnly ? ['video'] : opts.audioFirst ? ['audio', 'video'] : ['video', 'audio'];
	for (const kind of kinds) pc.addTransceiver(kind, { direction: 'recvonly' });
	pc.ontrack = (e) => {
		const el = e.track.kind === 'video' ? video : audioEl;
		el.srcObject = new MediaStream([e.track]);
		el.play().catch(() => {});
	};
	const audioStats = async (): Promise<AudioStats | undefined> => {
		let out: AudioStats | undefined;
		const report = await pc.getStats();
		report.forEach((s) => {
			if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
			const codec = s.codecId ? report.get(s.codecId) : undefined;
			out = { packetsReceived: s.packetsReceived, totalSamplesReceived: s.totalSamplesReceived, audioLevel: s.audioLevel, codec: codec && `${codec.payloadType} ${codec.mimeType}/${codec.clockRate}/${codec.channels}` };
		});
		return out;
	};
	const audioPlays = async () => {
		const a = await audioStats();
		return !!a && a.packetsReceived >= 50 && a.audioLevel > 0;
	};
	pc.onicecandidate = (e) => {
		// go2rtc's player sends only the candidate string, no sdpMid / sdpMLineIndex.
		if (opts.bareCandidates) void w.sfuCandidate(e.candidate ? e.candidate.candidate : '', null, null);
		else void w.sfuCandidate(e.candidate ? e.candidate.candidate : null, e.candidate?.sdpMid ?? null, e.candidate?.sdpMLineIndex ?? null);
	};
	const t0 = performance.now();
	let frames = 0;
	let firstFrameMs: number | null = null;
	const onFrame = () => {
		frames++;
		if (firstFrameMs === null) firstFrameMs = performance.now() - t0;
		video.requestVideoFrameCallback(onFrame);
	};
	video.requestVideoFrameCallback(onFrame);
	const offer = await pc.createOffer();
	await pc.setLocalDescription(offer);
	let answerMs = 0;
	try {
		const answer = await w.sfuWatch(offer.sdp!);
		answerMs = performance.now() - t0;
		await pc.setRemoteDescription({ type: 'answer', sdp: answer });
	} catch (e) {
		return { frames, width: 0, height: 0, firstFrameMs, answerMs, iceState: pc.iceConnectionState, error: String(e) };
	}
	const deadline = performance.now() + opts.timeoutMs;
	while (performance.now() < deadline && !(frames >= 10 && video.videoWidth === 1280 && (!opts.audio || (await audioPlays())))) await new Promise((r) => setTimeout(r, 50));
	const stats: Record<string, unknown> = {};
	(await pc.getStats()).forEach((s) => {
		if (s.type === 'inbound-rtp' && s.kind === 'video') {
			for (const k of ['packetsReceived', 'packetsLost', 'framesDecoded', 'keyFramesDecoded', 'framesDropped', 'pliCount', 'nackCount', 'freezeCount', 'decoderImplementation', 'codecId']) stats[k] = s[k];
		}
		if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') stats.pair = `${s.localCandidateId} -> ${s.remoteCandidateId}`;
		if (s.type === 'transport') Object.assign(stats, { iceRole: s.iceRole, dtlsRole: s.dtlsRole, dtlsState: s.dtlsState, srtpCipher: s.srtpCipher });
	});
	(await pc.getStats()).forEach((s) => {
		if (s.type === 'local-candidate' || s.type === 'remote-candidate') {
			if (String(stats.pair ?? '').includes(s.id)) stats[s.type] = `${s.candidateType} ${s.address}:${s.port}`;
		}
		if (s.type === 'codec' && s.id === stats.codecId) stats.codec = `${s.payloadType} ${s.mimeType} ${s.sdpFmtpLine}`;
	});
	const audioDirection = pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio')?.currentDirection ?? null;
	const result = { frames, width: video.videoWidth, height: video.videoHeight, firstFrameMs, answerMs, iceState: pc.iceConnectionState, stats, audio: await audioStats(), audioDirection };
	pc.close();
	video.remove();
	audioEl.remove();
	return result;
}

describe('Sfu end to end (Janus + Chromium)', () => {
	let dataDir: string;
	let sfu: Sfu;
	let source: H264Source;
	let opus: OpusSource;
	let sink: MountSink;
	let sink2: MountSink;
	let browser: Browser;
	const logs: string[] = [];
	let keyframes = 0;

	beforeAll(async () => {
		dataDir = mkdtempSync(path.join(os.tmpdir(), 'vantage-sfu-'));
		sfu = new Sfu({ dataDir, log: (m) => logs.push(m) });
		const [, b] = await Promise.all([sfu.start(), chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })]);
		browser = b;
		source = startH264Source();
		// Keep what ffmpeg produces before the mount exists (its first IDR), as a hub's GOP cache would.
		const early: Parameters<MountSink['pushVideo']>[0][] = [];
		source.onSample((s) => {
			if (s.keyframe) keyframes++;
			if (sink) sink.pushVideo(s);
			else early.push(s);
			sink2?.pushVideo(s);
		});
		const avcC = await source.avcC;
		sink = await sfu.openMount('cam1', { codec: 'h264', config: avcC });
		for (const s of early) sink.pushVideo(s);
		// cam2: the same video, and Opus audio as a camera that sends Opus has it in the hub.
		sink2 = await sfu.openMount('cam2', { codec: 'h264', config: avcC }, { codec: 'opus', sampleRate: 48000, channels: 1 });
		for (const s of early.splice(0)) sink2.pushVideo(s);
		opus = startOpusSource();
		opus.onPacket((p) => sink2.pushAudio(p));
		const deadline = Date.now() + 5_000;
		while (keyframes < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
		expect(keyframes).toBeGreaterThanOrEqual(1);
	});

	afterAll(async () => {
		await source?.stop();
		await opus?.stop();
		await browser?.close();
		await sfu?.stop();
		if (process.env.KEEP_SFU_DATA) console.log(`[sfu e2e] kept ${dataDir}\n${logs.join('\n')}`);
		else if (dataDir) rmSync(dataDir, { recursive: true, force: true });
	});

	async function watchOnce(label: string, view: ViewOptions = { bundlePolicy: 'max-bundle' }) {
		const page = await browser.newPage();
		let viewer: WebRtcViewer | null = null;
		const early: [string | null, string | null, number | null][] = [];
		let closed = false;
		await page.exposeFunction('sfuWatch', async (offer: string) => {
			viewer = await sfu.watch(view.camera ?? 'cam1', offer);
			viewer.onClose(() => (closed = true));
			// Candidates the browser trickled before the answer existed (as a hub must buffer them).
			for (const c of early.splice(0)) await viewer.addRemoteCandidate(...c);
			return viewer.answer;
		});
		await page.exposeFunction('sfuCandidate', async (c: string | null, mid: string | null, idx: number | null) => {
			if (viewer) await viewer.addRemoteCandidate(c, mid, idx);
			else early.push([c, mid, idx]);
		});
		await page.setContent('<!doctype html><html><body></body></html>');
		const t0 = Date.now();
		const r = await page.evaluate(viewInPage, { timeoutMs: 10_000, ...view });
		console.log(
			`[sfu e2e] ${label}: ${r.frames} frames, ${r.width}x${r.height}, answer after ${r.answerMs.toFixed(0)} ms, ` +
				`time to first frame ${r.firstFrameMs === null ? 'never' : r.firstFrameMs.toFixed(0) + ' ms'} (ice ${r.iceState}, wall ${Date.now() - t0} ms)${r.error ? " ERROR " + r.error : ""}\n  ${JSON.stringify(r.stats)}` +
				(r.audio ? `\n  audio ${r.audioDirection}: ${JSON.stringify(r.audio)}` : '')
		);
		await page.close();
		await (viewer as WebRtcViewer | null)?.close();
		return { r, closed: () => closed };
	}

	it('a browser offer gets an answer and decodes 720p frames within 10 s', async () => {
		const { r } = await watchOnce('first viewer (mountpoint for the browser PT created on demand)');
		expect(r.error).toBeUndefined();
		expect(r.frames).toBeGreaterThanOrEqual(10);
		expect(r.width).toBe(1280);
		expect(r.height).toBe(720);
		expect(r.firstFrameMs).not.toBeNull();
	});

	it('a second viewer joins the warm mountpoint (keyframe buffer) quickly', async () => {
		const { r } = await watchOnce('second viewer (warm mountpoint, bufferkf)');
		expect(r.frames).toBeGreaterThanOrEqual(10);
		expect(r.width).toBe(1280);
	});

	it('works with bundlePolicy balanced too (candidates per m-line, audio ones dropped)', async () => {
		const { r } = await watchOnce('balanced bundle policy', { bundlePolicy: 'balanced' });
		expect(r.frames).toBeGreaterThanOrEqual(10);
		expect(r.width).toBe(1280);
	});

	it('works with audio first and bare candidate strings (other go2rtc-protocol clients)', async () => {
		for (const bundlePolicy of ['max-bundle', 'balanced'] as const) {
			const { r } = await watchOnce(`audio m-line first, bare candidates, ${bundlePolicy}`, { bundlePolicy, audioFirst: true, bareCandidates: true });
			expect(r.frames).toBeGreaterThanOrEqual(10);
			expect(r.width).toBe(1280);
		}
	});

	it('a camera with Opus: the browser plays the audio beside the video', async () => {
		const { r } = await watchOnce('camera with audio, video first', { bundlePolicy: 'max-bundle', camera: 'cam2', audio: true });
		expect(r.error).toBeUndefined();
		expect(r.frames).toBeGreaterThanOrEqual(10);
		expect(r.audioDirection).toBe('recvonly');
		expect(r.audio?.codec).toBe('111 audio/opus/48000/2');
		expect(r.audio?.packetsReceived).toBeGreaterThanOrEqual(50);
		expect(r.audio?.totalSamplesReceived).toBeGreaterThan(0);
		expect(r.audio?.audioLevel).toBeGreaterThan(0);
	});

	it('audio first with audio to send: the BUNDLE tag carries it (max-bundle and balanced, bare candidates)', async () => {
		for (const bundlePolicy of ['max-bundle', 'balanced'] as const) {
			const { r } = await watchOnce(`camera with audio, audio m-line first, ${bundlePolicy}`, { bundlePolicy, audioFirst: true, bareCandidates: true, camera: 'cam2', audio: true });
			expect(r.frames).toBeGreaterThanOrEqual(10);
			expect(r.audio?.packetsReceived).toBeGreaterThanOrEqual(50);
			expect(r.audio?.audioLevel).toBeGreaterThan(0);
		}
	});

	it('a camera with audio, a browser offering no audio: video only (Janus offers it no audio)', async () => {
		const { r } = await watchOnce('camera with audio, no audio transceiver', { bundlePolicy: 'max-bundle', camera: 'cam2', videoOnly: true });
		expect(r.frames).toBeGreaterThanOrEqual(10);
		expect(r.audioDirection).toBeNull();
		// A camera without audio leaves the browser's audio m-line (the BUNDLE tag here) inactive.
		const { r: noAudio } = await watchOnce('camera without audio, audio first', { bundlePolicy: 'max-bundle', audioFirst: true });
		expect(noAudio.frames).toBeGreaterThanOrEqual(10);
		expect(noAudio.audioDirection).toBe('inactive');
	});

	it('after Janus crashes: viewers are closed, Janus restarts, mountpoints come back, new viewers decode', async () => {
		const offer = readFileSync(path.join(FIXTURES, 'chromium-156-offer-video-audio.sdp'), 'utf8');
		const orphan = await sfu.watch('cam1', offer); // a viewer whose browser never connects
		let orphanClosed = false;
		orphan.onClose(() => (orphanClosed = true));
		const pid = sfu.janusPid!;
		expect(pid).toBeGreaterThan(0);
		process.kill(pid, 'SIGKILL');
		const t0 = Date.now();
		while (Date.now() - t0 < 15_000 && !(sfu.connected && sfu.janusPid && sfu.janusPid !== pid)) await new Promise((r) => setTimeout(r, 50));
		console.log(`[sfu e2e] janus restarted in ${Date.now() - t0} ms (pid ${pid} -> ${sfu.janusPid})`);
		expect(orphanClosed).toBe(true);
		expect(sfu.connected).toBe(true);
		expect(sfu.janusPid).not.toBe(pid);
		const { r } = await watchOnce('viewer after a Janus restart');
		expect(r.frames).toBeGreaterThanOrEqual(10);
		expect(r.width).toBe(1280);
		const { r: withAudio } = await watchOnce('viewer with audio after a Janus restart', { bundlePolicy: 'max-bundle', camera: 'cam2', audio: true });
		expect(withAudio.audio?.packetsReceived).toBeGreaterThanOrEqual(50);
	});
});

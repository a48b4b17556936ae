// End to end: a spawned Janus, a real H.264 stream pushed through openMount,
// and Chromium watching it through the SDP bridge the way go2rtc's player
// does (recvonly video + recvonly audio, the browser offers). Asserts frames
// are decoded at 1280 wide and prints the time to first frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { Sfu, type MountSink, type WebRtcViewer } from '../../src/lib/server/sfu/sfu';
import { startH264Source, type H264Source } from './h264-source';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(process.env.EXTRA_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean)];

interface ViewOptions {
	bundlePolicy: RTCBundlePolicy;
	audioFirst?: boolean;
	bareCandidates?: boolean;
}

interface PageResult {
	frames: number;
	width: number;
	height: number;
	firstFrameMs: number | null;
	answerMs: number;
	iceState: string;
	stats?: Record<string, unknown>;
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
	const pc = new RTCPeerConnection({ bundlePolicy: opts.bundlePolicy, iceServers: [] });
	for (const kind of opts.audioFirst ? ['audio', 'video'] : ['video', 'audio']) pc.addTransceiver(kind, { direction: 'recvonly' });
	pc.ontrack = (e) => {
		if (e.track.kind === 'video') {
			video.srcObject = new MediaStream([e.track]);
			video.play().catch(() => {});
		}
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
	while (performance.now() < deadline && !(frames >= 10 && video.videoWidth === 1280)) await new Promise((r) => setTimeout(r, 50));
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
	const result = { frames, width: video.videoWidth, height: video.videoHeight, firstFrameMs, answerMs, iceState: pc.iceConnectionState, stats };
	pc.close();
	video.remove();
	return result;
}

describe('Sfu end to end (Janus + Chromium)', () => {
	let dataDir: string;
	let sfu: Sfu;
	let source: H264Source;
	let sink: MountSink;
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
		});
		const avcC = await source.avcC;
		sink = await sfu.openMount('cam1', { codec: 'h264', config: avcC });
		for (const s of early.splice(0)) sink.pushVideo(s);
		const deadline = Date.now() + 5_000;
		while (keyframes < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
		expect(keyframes).toBeGreaterThanOrEqual(1);
	});

	afterAll(async () => {
		await source?.stop();
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
			viewer = await sfu.watch('cam1', offer);
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
				`time to first frame ${r.firstFrameMs === null ? 'never' : r.firstFrameMs.toFixed(0) + ' ms'} (ice ${r.iceState}, wall ${Date.now() - t0} ms)${r.error ? " ERROR " + r.error : ""}\n  ${JSON.stringify(r.stats)}`
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
	});
});

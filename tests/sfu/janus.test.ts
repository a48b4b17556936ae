// Janus as a supervised child process, the raw JSON API client, and the Sfu
// against an external Janus (JANUS_URL), without a browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JanusClient, JanusError } from '../../src/lib/server/sfu/janus-client';
import { JanusProcess, type JanusEndpoint } from '../../src/lib/server/sfu/janus-process';
import { Sfu } from '../../src/lib/server/sfu/sfu';
import { parseSdp, attr } from '../../src/lib/server/media/sdp/sdp';
import { joinLengthPrefixed } from '../../src/lib/server/media/h264/nal';
import { spawn } from 'node:child_process';
import { FIXTURES, fixture, fixtureText, h264AccessUnits } from './fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Janus child process and JSON API', () => {
	let dir: string;
	let proc: JanusProcess;
	let ep: JanusEndpoint;
	let client: JanusClient;

	beforeAll(async () => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'vantage-janus-'));
		proc = new JanusProcess({ dir: path.join(dir, 'janus'), sessionTimeout: 2 });
		ep = await proc.start();
		client = await JanusClient.connect(ep.url, { apiSecret: ep.apiSecret });
	});

	afterAll(async () => {
		client?.close();
		await proc?.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it('writes a private config and listens on 127.0.0.1 only', () => {
		expect(ep.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
		const jcfg = readFileSync(path.join(dir, 'janus', 'janus.jcfg'), 'utf8');
		expect(jcfg).toMatch(/rtp_port_range = "20000-40000"/);
		expect(jcfg).toMatch(/admin_secret = "[\w-]{20,}"/);
		expect(statSync(path.join(dir, 'janus', 'janus.jcfg')).mode & 0o077).toBe(0);
		expect(readFileSync(path.join(dir, 'janus', 'janus.transport.websockets.jcfg'), 'utf8')).toMatch(/ws_ip = "127.0.0.1"/);
	});

	it('loads only the Streaming plugin and the WebSockets transport', async () => {
		const info = await client.info();
		expect(info.version_string).toBe('1.1.2');
		expect(Object.keys(info.plugins)).toEqual(['janus.plugin.streaming']);
		expect(Object.keys(info.transports)).toEqual(['janus.transport.websockets']);
	});

	it('refuses requests without the API secret', async () => {
		const anon = await JanusClient.connect(ep.url);
		await expect(anon.createSession()).rejects.toThrow(JanusError);
		anon.close();
	});

	it('keeps a session alive with keepalives; one without them times out', async () => {
		const kept = await client.createSession(500);
		const lapsed = await client.createSession(60_000);
		let reason = '';
		lapsed.on('gone', (r: string) => (reason = r));
		const t0 = Date.now();
		while (!reason && Date.now() - t0 < 8_000) await sleep(100);
		expect(reason).toBe('timeout');
		expect(kept.isAlive).toBe(true);
		const h = await kept.attach('janus.plugin.streaming');
		expect(h.id).toBeGreaterThan(0);
		await kept.destroy();
	});

	it('creates RTP mountpoints (H.264 and H.265) and sends an offer on watch', async () => {
		const s = await client.createSession();
		const control = await s.attach('janus.plugin.streaming');
		for (const [codec, fmtp, pt] of [
			['h264', 'profile-level-id=42c01f;packetization-mode=1', 108],
			['h265', 'profile-id=1;tier-flag=0;level-id=93', 49]
		] as const) {
			const id = 1000 + pt;
			const created = await control.message({ request: 'create', type: 'rtp', id, is_private: true, media: [{ type: 'video', mid: 'v', port: 0, pt, codec, fmtp, bufferkf: true }] });
			expect(created.data.stream.ports[0].port).toBeGreaterThanOrEqual(10000);
			const viewer = await s.attach('janus.plugin.streaming');
			const detached = new Promise<string>((r) => viewer.once('detached', r));
			const w = await viewer.message({ request: 'watch', id });
			expect(w.jsep?.type).toBe('offer');
			const m = parseSdp(w.jsep!.sdp).media[0];
			expect(m.formats[0]).toBe(String(pt));
			expect(attr(m.lines, 'rtpmap')).toBe(`${pt} ${codec.toUpperCase()}/90000`);
			await viewer.detach();
			expect(await detached).toMatch(/detached/);
			await control.message({ request: 'destroy', id });
		}
		await expect(control.message({ request: 'watch', id: 424242 })).rejects.toThrow(JanusError);
		await s.destroy();
	});

	it('restarts Janus after a crash and reports it', async () => {
		const pid = proc.pid!;
		const ready = new Promise<JanusEndpoint>((r) => proc.once('ready', r));
		const exited = new Promise((r) => proc.once('exit', r));
		process.kill(pid, 'SIGKILL');
		await exited;
		const again = await ready;
		expect(again.generation).toBe(2);
		expect(proc.pid).not.toBe(pid);
		const c2 = await JanusClient.connect(again.url, { apiSecret: again.apiSecret });
		expect((await c2.info()).version_string).toBe('1.1.2');
		c2.close();
	});
});

describe('no orphaned Janus', () => {
	const alive = (pid: number) => {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	};

	it('Janus ends when the Node process that started it is SIGKILLed', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'vantage-janus-orphan-'));
		const jiti = path.join(process.cwd(), 'node_modules/jiti/lib/jiti-cli.mjs');
		const child = spawn(process.execPath, [jiti, path.join(FIXTURES, '..', 'janus-child.ts'), path.join(dir, 'janus')], { stdio: ['ignore', 'pipe', 'inherit'] });
		try {
			const pid = await new Promise<number>((resolve, reject) => {
				let out = '';
				child.stdout!.on('data', (d) => {
					out += d;
					if (out.includes('\n')) resolve(parseInt(out, 10));
				});
				child.once('exit', () => reject(new Error('child exited early')));
				setTimeout(() => reject(new Error('child did not start janus')), 20_000);
			});
			expect(alive(pid)).toBe(true);
			child.kill('SIGKILL');
			const t0 = Date.now();
			while (alive(pid) && Date.now() - t0 < 5_000) await sleep(50);
			expect(alive(pid)).toBe(false);
		} finally {
			child.kill('SIGKILL');
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('Sfu with an external Janus (JANUS_URL)', () => {
	let dir: string;
	let janus: JanusProcess;
	let sfu: Sfu;

	beforeAll(async () => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'vantage-sfu-ext-'));
		janus = new JanusProcess({ dir: path.join(dir, 'external') });
		const ep = await janus.start();
		process.env.JANUS_API_SECRET = ep.apiSecret;
		sfu = new Sfu({ dataDir: path.join(dir, 'data'), janusUrl: ep.url });
		await sfu.start();
	});

	afterAll(async () => {
		await sfu?.stop();
		delete process.env.JANUS_API_SECRET;
		await janus?.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it('spawns nothing and uses the given Janus', () => {
		expect(sfu.janusPid).toBeUndefined();
		expect(sfu.connected).toBe(true);
	});

	it('answers a browser offer for a mounted camera and closes viewers with the mount', async () => {
		const sink = await sfu.openMount('cam', { codec: 'h264', config: fixture('testsrc2-320x180-baseline.avcC') });
		h264AccessUnits().slice(0, 5).forEach((au, i) => sink.pushVideo({ data: joinLengthPrefixed(au), dts: i * 3000, ctsOffset: 0, timescale: 90000, keyframe: i === 0 }));
		const viewer = await sfu.watch('cam', fixtureText('chromium-156-offer-video-audio.sdp'));
		const ans = parseSdp(viewer.answer);
		expect(ans.media.map((m) => m.port === 0)).toEqual([false, true]);
		expect(ans.media[0].formats).toEqual(['108']);
		await viewer.addRemoteCandidate('candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host', '0', 0);
		await viewer.addRemoteCandidate('candidate:2 1 udp 2113937151 127.0.0.1 50002 typ host', '1', 1); // other transport: dropped
		await viewer.addRemoteCandidate(null);
		let closed = false;
		viewer.onClose(() => (closed = true));
		await sink.close();
		expect(closed).toBe(true);
		await expect(sfu.watch('cam', fixtureText('chromium-156-offer-video-audio.sdp'))).rejects.toThrow(/no live mount/);
	});

	it('says why it cannot serve a browser without the codec', async () => {
		const sink = await sfu.openMount('hevc', { codec: 'h265', config: fixture('testsrc2-320x180.hvcC') });
		await expect(sfu.watch('hevc', fixtureText('chromium-156-offer-video-audio.sdp'))).rejects.toThrow(/offers no H265/);
		await sink.close();
		await expect(sfu.watch('nope', fixtureText('chromium-156-offer-video-audio.sdp'))).rejects.toThrow(/no live mount/);
	});

	it('leaves the external Janus running on stop()', async () => {
		await sfu.stop();
		const c = await JanusClient.connect(janus.current!.url, { apiSecret: janus.current!.apiSecret });
		expect((await c.info()).version_string).toBe('1.1.2');
		c.close();
	});
});

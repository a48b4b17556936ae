#!/usr/bin/env node
// SFU load benchmark: WebRTC viewers of a 2 Mbit/s 720p30 H.264 stream
// (GOP 1 s) through
//   (A) Vantage: the built server (node server.js) with a keepalive camera
//       pulling an RTSP test source, viewers over WS /api/proxy/ws (go2rtc's
//       webrtc/offer → webrtc/answer + webrtc/candidate), and
//   (B) a bare Janus 1.1.2 started here with a minimal config, an RTP
//       mountpoint (bufferkf) fed by ffmpeg, viewers using Janus's own flow
//       (watch → Janus offer → answer → start),
// for 1, 10, 50 and 100 viewers (werift RTCPeerConnections in this process).
// Per step and side, over a steady window: server CPU from /proc (utime +
// stime of the server's processes), RTP packets/s per viewer, loss from RTP
// sequence numbers, RFC 3550 jitter, and added latency (matched by slice
// content against a reference reader). See bench/README.md, "sfu-load.mjs".
//
//   node bench/sfu-load.mjs [--counts 1,10,50,100] [--window 10] [--rounds 2] [--only A|B]
//                           [--full 10] [--no-build] [--json out.json]
//                           [--camera relay|tests] [--janus-event-loops N (B only)]
import dgram from 'node:dgram';
import { readdirSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CpuWindow, freePort, freeUdpPort, killAllNow, startChild, stopAll, stopChild, treeOf } from './sfu/procs.mjs';
import { createMountpoint, startBareJanus } from './sfu/janus-bare.mjs';
import { ReferenceTimes, Viewer, joinJanus, joinVantage } from './sfu/viewer.mjs';
import { setUpCamera, startRtspCamera, startVantage } from './sfu/vantage.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: opt } = parseArgs({
	options: {
		counts: { type: 'string', default: '1,10,50,100' },
		window: { type: 'string', default: '10' },
		rounds: { type: 'string', default: '2' },
		only: { type: 'string' },
		full: { type: 'string', default: '10' },
		'no-build': { type: 'boolean', default: false },
		json: { type: 'string' },
		camera: { type: 'string', default: 'relay' },
		'janus-event-loops': { type: 'string', default: '0' },
		'time-limit': { type: 'string', default: '600' }
	}
});
const COUNTS = opt.counts.split(',').map(Number).filter((n) => n > 0);
const WINDOW_S = Number(opt.window);
const BASELINE_S = 10; // node and janus with the camera running and nobody watching
const SETTLE_MS = 2500;
const CLOSE_SETTLE_MS = 1000; // after closing a window's viewers, before the next join
const AFTER_S = 10;
const ROUNDS = Number(opt.rounds); // windows per side and viewer count: 2 = A B B A
const FULL = Number(opt.full); // viewers that also run werift's SRTP/RTP pipeline (latency samples)
const JOIN_BATCH = 10;
const LOSSLESS = 99.9; // % of packets delivered
const CPU_TOLERANCE = 10; // % over bare Janus
const STARVED_FPS = 28.5; // the 30 fps source fell behind (CPU saturated): that step's figures are not at full load

// The test stream (media.md's recipe): 720p30 H.264 constrained baseline, 2 Mbit/s, GOP 30.
const FFMPEG_ENCODE = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '1M'];
const FFMPEG_TESTSRC = [...FFMPEG_ENCODE, '-payload_type', '96', '-f', 'rtp']; // + rtp://…?pkt_size=1200

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** `promise`, or a rejection after `ms` (the timer is cleared either way). */
function within(promise, ms, message) {
	let timer;
	const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
const log = (...a) => console.log(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s]`, ...a);
const T0 = performance.now();

// ---- cleanup: every process we started dies with us ----

const cleanups = [];
let cleaning = null;
function cleanup() {
	cleaning ??= (async () => {
		for (const f of cleanups.splice(0).reverse()) {
			try {
				await Promise.race([f(), sleep(5000)]);
			} catch {
				/* best effort */
			}
		}
		await stopAll();
	})();
	return cleaning;
}
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.on(sig, () => {
		console.error(`\n${sig}: stopping everything`);
		cleanup().finally(() => process.exit(130));
	});
}
process.on('unhandledRejection', (e) => console.error('unhandled rejection:', e?.message ?? e));
const limit = setTimeout(() => {
	console.error(`time limit of ${opt['time-limit']} s reached: stopping`);
	cleanup().finally(() => process.exit(2));
}, Number(opt['time-limit']) * 1000);
limit.unref();

// ---- statistics helpers ----

const pct = (a, q) => (a.length ? a[Math.min(a.length - 1, Math.floor(q * a.length))] : NaN);
const median = (a) => pct([...a].sort((x, y) => x - y), 0.5);
const mean = (a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');

/** Join `n` new viewers, JOIN_BATCH at a time; each must receive RTP. */
async function joinViewers(side, shared, n) {
	const all = [];
	for (let i = 0; i < n; i += JOIN_BATCH) {
		const batch = [];
		for (let j = i; j < Math.min(n, i + JOIN_BATCH); j++) batch.push(new Viewer(j, shared, j < FULL));
		await Promise.all(
			batch.map(async (v) => {
				try {
					await within(side.join(v), 30_000, 'join timed out (30 s)');
					await within(v.firstRtp, 15_000, 'no RTP within 15 s of joining');
				} catch (e) {
					v.failed = e.message;
				}
			})
		);
		all.push(...batch);
	}
	const ok = all.filter((v) => !v.failed);
	const failed = all.filter((v) => v.failed);
	for (const v of failed) {
		log(`  viewer ${v.n} failed: ${v.failed}`);
		void v.close();
	}
	return { viewers: ok, joinMs: ok.map((v) => v.firstRtpAt - v.t0), failed: failed.length };
}

async function closeViewers(viewers) {
	await Promise.race([Promise.allSettled(viewers.map((v) => v.close())), sleep(10_000)]);
	viewers.length = 0;
}

/** One steady window: raw sums, so that windows of a side can be combined (combine()). */
async function measure(side, shared, viewers, seconds) {
	const cpu = new CpuWindow(side.cpuGroups);
	const lag = monitorEventLoopDelay({ resolution: 10 });
	lag.enable();
	for (const v of viewers) v.beginWindow();
	shared.latency = {};
	const src0 = { ...side.source };
	cpu.begin();
	await sleep(seconds * 1000);
	const c = cpu.end();
	const sourceFrames = side.source.frames - src0.frames;
	lag.disable();
	for (const v of viewers) v.endWindow();
	const samples = shared.latency;
	shared.latency = null;
	await sleep(500); // late and retransmitted packets of the window still count
	const st = viewers.map((v) => v.windowStats(c.seconds));
	// A viewer whose stream stopped has no sequence numbers to tell its loss: expect the median.
	const typical = median(st.map((x) => x.expected));
	for (const x of st) if (x.expected < typical * 0.5) x.expected = typical;
	return { seconds: c.seconds, cpu: c, sourceFrames, st, samples, loopLagMax: lag.max / 1e6 };
}

/** Windows of one side and viewer count (or of its baseline) → the figures reported. */
function combine(windows) {
	const secs = windows.reduce((a, w) => a + w.seconds, 0);
	const wmean = (get) => windows.reduce((a, w) => a + get(w) * w.seconds, 0) / secs;
	const groups = {};
	for (const k of Object.keys(windows[0].cpu.groups)) groups[k] = wmean((w) => w.cpu.groups[k]);
	const udp = {};
	for (const k of Object.keys(windows[0].cpu.udp)) udp[k] = windows.reduce((a, w) => a + w.cpu.udp[k], 0);
	const st = windows.flatMap((w) => w.st);
	const expected = st.reduce((a, x) => a + x.expected, 0);
	const received = st.reduce((a, x) => a + x.received, 0);
	const latency = {};
	for (const name of new Set(windows.flatMap((w) => Object.keys(w.samples ?? {})))) {
		const a = windows.flatMap((w) => w.samples?.[name] ?? []).sort((x, y) => x - y);
		latency[name] = { p50: pct(a, 0.5), p99: pct(a, 0.99), n: a.length };
	}
	return {
		windows: windows.length,
		seconds: secs,
		cpu: { groups, bench: wmean((w) => w.cpu.bench), machineBusy: wmean((w) => w.cpu.machineBusy), udp },
		sourceFps: windows.reduce((a, w) => a + w.sourceFrames, 0) / secs,
		fps: mean(st.map((x) => x.fps)),
		fpsMin: Math.min(...st.map((x) => x.fps)),
		pps: mean(st.map((x) => x.pps)),
		ppsMin: Math.min(...st.map((x) => x.pps)),
		delivered: expected ? (received / expected) * 100 : NaN,
		deliveredMin: Math.min(...st.map((x) => (x.expected ? (x.received / x.expected) * 100 : 0))),
		jitter: mean(st.map((x) => x.jitterMs)),
		jitterMax: Math.max(...st.map((x) => x.jitterMs)),
		loopLagMax: Math.max(...windows.map((w) => w.loopLagMax)),
		latency // per reference: { p50, p99, n } in ms
	};
}

/**
 * Both sides run for the whole bench (their sources too), and their windows
 * are interleaved, A B B A per viewer count (ROUNDS=2), so that load from
 * elsewhere on the machine, which drifts over minutes, weighs on both alike.
 * Each window joins its viewers afresh and closes them after.
 */
async function runAll(sides) {
	for (const side of sides) {
		log(`== ${side.name}: starting`);
		await side.start();
		cleanups.push(() => side.stop());
	}
	const live = new Set();
	cleanups.push(() => Promise.allSettled([...live].map((v) => v.close())));
	const shared = Object.fromEntries(sides.map((side) => [side.name, { refs: side.refs, latency: null }]));
	const results = Object.fromEntries(sides.map((side) => [side.name, { name: side.name, steps: [] }]));
	await sleep(2000);
	for (const side of sides) {
		log(`${side.name}: 0 viewers, ${BASELINE_S} s baseline window`);
		results[side.name].baseline = combine([await measure(side, shared[side.name], [], BASELINE_S)]);
	}
	for (const n of COUNTS) {
		const order = ROUNDS === 2 ? [...sides, ...[...sides].reverse()] : Array.from({ length: ROUNDS }, () => sides).flat();
		const windows = new Map(sides.map((side) => [side, { ws: [], joinMs: [], failed: 0, viewers: [] }]));
		for (const side of order) {
			const t = performance.now();
			const joined = await joinViewers(side, shared[side.name], n);
			const joinS = (performance.now() - t) / 1000;
			for (const v of joined.viewers) live.add(v);
			const w = windows.get(side);
			w.joinMs.push(...joined.joinMs);
			w.failed += joined.failed;
			w.viewers.push(joined.viewers.length);
			await sleep(SETTLE_MS);
			const m = await measure(side, shared[side.name], joined.viewers, WINDOW_S);
			w.ws.push(m);
			const one = combine([m]);
			log(
				`${side.name} @${joined.viewers.length} (joined in ${f(joinS)} s, ${joined.failed} failed): ` +
					`${Object.entries(one.cpu.groups)
						.map(([k, v]) => `${k} ${f(v)}`)
						.join(', ')} % | source ${f(one.sourceFps)} fps, viewers ${f(one.fps)} fps, ${f(one.pps)} pkt/s, delivered ${f(one.delivered, 3)} % | ` +
					`${Object.entries(one.latency)
						.map(([k, l]) => `${k}→viewer p50 ${f(l.p50)} p99 ${f(l.p99)} ms`)
						.join(', ')} | UDP drops ${one.cpu.udp.RcvbufErrors + one.cpu.udp.SndbufErrors}, bench ${f(one.cpu.bench)} % (stall ${f(one.loopLagMax, 0)} ms), machine ${f(one.cpu.machineBusy)} %`
			);
			for (const v of joined.viewers) live.delete(v);
			await closeViewers(joined.viewers);
			await sleep(CLOSE_SETTLE_MS);
		}
		for (const side of sides) {
			const w = windows.get(side);
			const m = combine(w.ws);
			const viewers = Math.min(...w.viewers);
			const sfu = side.sfuCpu(m.cpu.groups, results[side.name].baseline.cpu.groups);
			results[side.name].steps.push({ n, viewers, failed: w.failed, joinP50: median(w.joinMs), joinMax: Math.max(...w.joinMs), sfu, perViewer: sfu / viewers, usPerPacket: (sfu * 1e4) / (viewers * m.pps), added: m.latency[side.addedRef] ?? {}, ...m });
			log(`${side.name} @${n}, ${w.ws.length} window(s): SFU ${f(sfu)} % of a core, ${f(sfu / viewers, 2)} %/viewer, ${f((sfu * 1e4) / (viewers * m.pps))} µs/packet, delivered ${f(m.delivered, 3)} %`);
		}
	}
	for (const side of sides) {
		if (!side.measureAfter) continue;
		// Vantage keeps the mountpoint (node packetizing, janus receiving) a while after the
		// last viewer (keepalive cameras: for good): its fixed cost, apart from any viewer.
		log(`${side.name}: 0 viewers, mountpoint still open, ${AFTER_S} s window`);
		results[side.name].after = combine([await measure(side, shared[side.name], [], AFTER_S)]);
	}
	for (const side of sides) await side.stop();
	return sides.map((side) => results[side.name]);
}

// ---- side A: Vantage ----

/** Top-level MP4 boxes from a byte stream: calls onMdat with each complete mdat's payload. */
function mp4Boxes(onMdat) {
	let buf = Buffer.alloc(0);
	return (chunk) => {
		buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
		while (buf.length >= 8) {
			let size = buf.readUInt32BE(0);
			let hdr = 8;
			if (size === 1) {
				if (buf.length < 16) return;
				size = Number(buf.readBigUInt64BE(8));
				hdr = 16;
			}
			if (size < hdr) {
				buf = Buffer.alloc(0); // not MP4 any more: give up on this chunk
				return;
			}
			if (buf.length < size) return;
			if (buf.toString('latin1', 4, 8) === 'mdat') onMdat(buf.subarray(hdr, size));
			buf = buf.subarray(size);
		}
	};
}

function sideVantage() {
	// Latency references: `source` = a second reader of the RTSP source (RTP into this process);
	// `hub` = a replica of Vantage's ingest ffmpeg (same arguments, fMP4 on a pipe): when a
	// frame's fragment is complete there is about when Vantage's hub gets it.
	const s = { name: 'A Vantage', refs: { source: new ReferenceTimes(), hub: new ReferenceTimes() }, addedRef: 'hub', source: { packets: 0, frames: 0 } };
	let vantage, camera, refReader, refSock, wsBase, replica;
	s.start = async () => {
		camera = await startRtspCamera(ROOT, await freePort(), opt.camera, FFMPEG_TESTSRC, await freeUdpPort());
		vantage = await startVantage(ROOT, await freePort());
		const { token, id, status } = await setUpCamera(vantage.base, camera.url);
		log(`A: camera ${id} online (${status.codec} ${status.width}x${status.height} ${status.fps} fps ${f(status.bitrate / 1e6, 2)} Mbit/s)`);
		wsBase = `${vantage.base.replace('http', 'ws')}/api/proxy/ws?id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`;
		// Reference for latency: a second reader of the same RTSP source, as RTP into this process.
		refSock = dgram.createSocket('udp4');
		refSock.on('message', (m) => {
			s.source.packets++;
			if (m[1] & 0x80) s.source.frames++;
			s.refs.source.mark(m.subarray(12 + 4 * (m[0] & 0x0f)));
		});
		const refPort = await freeUdpPort();
		await new Promise((r) => refSock.bind(refPort, '127.0.0.1', r));
		refReader = startChild('reference RTSP reader', 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', camera.url, '-an', '-c:v', 'copy', '-f', 'rtp', `rtp://127.0.0.1:${refPort}?pkt_size=1200`], { nice: -10 });
		// src/lib/server/ingest/ffmpeg-ingest.ts's command for an rtsp:// source, copied.
		replica = startChild('ingest replica', 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-fflags', '+genpts', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', camera.url, '-map', '0:v:0', '-map', '0:a:0?', '-c:v', 'copy', '-c:a', 'copy', '-f', 'mp4', '-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1', '-flush_packets', '1', 'pipe:1'], { rawStdout: true, nice: -10 });
		replica.child.stdout.on('data', mp4Boxes((mdat) => {
			const now = performance.now();
			for (let o = 0; o + 4 <= mdat.length; ) {
				const n = mdat.readUInt32BE(o);
				if (n === 0 || o + 4 + n > mdat.length) break;
				s.refs.hub.markNal(mdat.subarray(o + 4, o + 4 + n), now);
				o += 4 + n;
			}
		}));
		const tree = () => treeOf(vantage.proc.child.pid);
		s.cpuGroups = {
			node: () => [vantage.proc.child.pid],
			janus: () => tree().filter((p) => p.comm === 'janus').map((p) => p.pid),
			ingest: () => tree().filter((p) => p.comm === 'ffmpeg').map((p) => p.pid),
			camera: () => camera.procs.flatMap((c) => treeOf(c.child.pid).map((p) => p.pid))
		};
	};
	s.join = (v) => joinVantage(v, wsBase);
	// Janus, plus what node spends more than with the camera ingested and nobody watching.
	s.sfuCpu = (g, base) => g.janus + Math.max(0, g.node - base.node);
	s.measureAfter = true;
	s.stop = async () => {
		for (const r of Object.values(s.refs)) r.stop();
		refSock?.close();
		refSock = null;
		if (refReader) await stopChild(refReader);
		refReader = null;
		if (replica) await stopChild(replica);
		replica = null;
		if (vantage) {
			await stopChild(vantage.proc, 5000);
			rmSync(vantage.dataDir, { recursive: true, force: true });
			vantage = null;
		}
		if (camera) for (const c of camera.procs) await stopChild(c);
		camera = null;
	};
	return s;
}

// ---- side B: bare Janus ----

function sideJanus() {
	// Latency reference `in`: a copy of what ffmpeg sends Janus, as it is sent.
	const s = { name: Number(opt['janus-event-loops']) ? `B bare Janus (event_loops=${opt['janus-event-loops']})` : 'B bare Janus', refs: { in: new ReferenceTimes() }, addedRef: 'in', source: { packets: 0, frames: 0 } };
	let janus, encoder, refSock, dir;
	const MOUNT_ID = 4242;
	s.start = async () => {
		dir = mkdtempSync(path.join(tmpdir(), 'sfu-load-janus-'));
		janus = await startBareJanus(dir, await freePort(), { eventLoops: Number(opt['janus-event-loops']) });
		await janus.conn.createSession();
		const mountPort = await freeUdpPort();
		await createMountpoint(janus.conn, MOUNT_ID, mountPort);
		// ffmpeg sends straight to Janus and, through its tee muxer, the same packets to this
		// process, which notes when each slice entered the SFU (nothing of ours on the media path).
		refSock = dgram.createSocket('udp4');
		refSock.on('message', (m) => {
			s.source.packets++;
			if (m[1] & 0x80) s.source.frames++;
			s.refs.in.mark(m.subarray(12 + 4 * (m[0] & 0x0f)));
		});
		const refPort = await freeUdpPort();
		await new Promise((r) => refSock.bind(refPort, '127.0.0.1', r));
		const rtp = (port) => `[f=rtp:payload_type=96]rtp://127.0.0.1:${port}?pkt_size=1200`;
		encoder = startChild('ffmpeg testsrc2 encoder', 'ffmpeg', [...FFMPEG_ENCODE, '-map', '0:v', '-f', 'tee', `${rtp(mountPort)}|${rtp(refPort)}`], { nice: -10 });
		s.cpuGroups = { janus: () => [janus.proc.child.pid], encoder: () => [encoder.child.pid] };
	};
	s.join = (v) => joinJanus(v, janus.conn, MOUNT_ID);
	s.sfuCpu = (g) => g.janus;
	s.stop = async () => {
		s.refs.in.stop();
		refSock?.close();
		refSock = null;
		if (encoder) await stopChild(encoder);
		encoder = null;
		if (janus) {
			janus.conn.close();
			await stopChild(janus.proc);
			janus = null;
		}
		if (dir) rmSync(dir, { recursive: true, force: true });
		dir = null;
	};
	return s;
}

// ---- build ----

function newestMtime(p) {
	let st;
	try {
		st = statSync(p);
	} catch {
		return 0;
	}
	if (!st.isDirectory()) return st.mtimeMs;
	let m = st.mtimeMs;
	for (const e of readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, e)));
	return m;
}

function buildIfStale() {
	const stamp = (() => {
		try {
			return statSync(path.join(ROOT, 'build/handler.js')).mtimeMs;
		} catch {
			return 0;
		}
	})();
	const inputs = ['src', 'static', 'prisma', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'].map((p) => newestMtime(path.join(ROOT, p)));
	if (stamp && Math.max(...inputs) <= stamp) return log('build/ is up to date');
	if (opt['no-build']) return log(stamp ? 'build/ is older than the sources: --no-build, using it anyway' : 'no build/ and --no-build');
	log('building the app (npm run build)');
	const t = performance.now();
	const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
	log(`built in ${f((performance.now() - t) / 1000)} s`);
}

// ---- report ----

function report(results) {
	const A = results.find((r) => r.name.startsWith('A'));
	const B = results.find((r) => r.name.startsWith('B'));
	const lines = [];
	const row = (cells) => lines.push(`| ${cells.join(' | ')} |`);
	const sign = (d) => `${d >= 0 ? '+' : ''}${f(d)} %`;
	lines.push('');
	lines.push(`Per side and viewer count: ${ROUNDS} steady window(s) of ${WINDOW_S} s${ROUNDS === 2 && A && B ? ', interleaved A B B A' : ''}, fresh viewers each; 0 viewers: ${BASELINE_S} s. CPU in % of one core (utime+stime from /proc).`);
	lines.push(`"0, after": A once its viewers left, mountpoint still open (node packetizing and janus receiving, nobody watching), ${AFTER_S} s.`);
	lines.push('SFU CPU: A = janus + (node − node at 0 viewers); B = janus. A: ingest = Vantage\'s ffmpeg; source = test camera (ffmpeg encoder + RTSP relay); B: source = ffmpeg encoder.');
	lines.push('Latency (full viewers): A "SFU" = hub (est.) → viewer, A "src" = RTSP reader → viewer; B = ffmpeg → Janus (a tee\'d copy) → viewer.');
	lines.push('UDP drops: the kernel\'s UDP receive/send buffer errors over the window, whole machine (viewer sockets, Janus, everything).');
	lines.push('bench: CPU of this process (the viewers) and its event loop\'s longest stall in the window; machine: busy share of both cores.');
	lines.push('');
	row(['viewers', 'side', 'SFU CPU %', '%/viewer', 'µs/pkt', 'janus %', 'node % (Δ)', 'ingest %', 'source %', 'source fps', 'viewer fps (min)', 'pkt/s/viewer (min)', 'delivered % (worst viewer)', 'jitter ms (max)', 'SFU latency p50/p99 ms', 'src→viewer p50 ms', 'join→1st RTP p50/max ms', 'UDP drops', 'bench % · lag ms', 'machine %']);
	row(Array(20).fill('---'));
	const steps = [];
	for (const r of [A, B].filter(Boolean)) steps.push({ r, s: null });
	if (A?.after) steps.push({ r: A, s: null, after: true });
	for (let i = 0; i < COUNTS.length; i++) for (const r of [A, B].filter(Boolean)) if (r.steps[i]) steps.push({ r, s: r.steps[i] });
	for (const { r, s, after } of steps) {
		const isA = r.name.startsWith('A');
		const m = s ?? (after ? r.after : r.baseline);
		const g = m.cpu.groups;
		const src = isA ? m.latency.source : m.latency.in;
		row([
			s ? `${s.viewers}${s.failed ? ` (+${s.failed} failed)` : ''}` : after ? '0, after (mount open)' : '0',
			r.name,
			s ? f(s.sfu) : '',
			s ? f(s.perViewer, 2) : '',
			s ? f(s.usPerPacket) : '',
			f(g.janus),
			isA ? (s || after ? `${f(g.node)} (${sign(g.node - r.baseline.cpu.groups.node).replace(' %', '')})` : f(g.node)) : '',
			isA ? f(g.ingest) : '',
			f(isA ? g.camera : g.encoder),
			`${f(m.sourceFps)}${m.sourceFps < STARVED_FPS ? ' ⚠' : ''}`,
			s ? `${f(s.fps)} (${f(s.fpsMin)})` : '',
			s ? `${f(s.pps)} (${f(s.ppsMin)})` : '',
			s ? `${f(s.delivered, 3)} (${f(s.deliveredMin, 2)})` : '',
			s ? `${f(s.jitter, 2)} (${f(s.jitterMax, 2)})` : '',
			s ? `${f(s.added.p50)} / ${f(s.added.p99)}` : '',
			s && src ? f(src.p50) : '',
			s ? `${f(s.joinP50, 0)} / ${f(s.joinMax, 0)}` : '',
			`${m.cpu.udp.RcvbufErrors + m.cpu.udp.SndbufErrors}`,
			`${f(m.cpu.bench)} · ${f(m.loopLagMax, 0)}`,
			f(m.cpu.machineBusy)
		]);
	}
	if (A && B) {
		lines.push('');
		row(['viewers', 'A SFU CPU %', 'B SFU CPU %', 'A vs B', 'A µs/pkt', 'B µs/pkt', 'A vs B per packet', `within ${CPU_TOLERANCE} %`, 'A janus vs B janus', 'A delivered %', 'B delivered %']);
		row(Array(11).fill('---'));
		for (let i = 0; i < COUNTS.length; i++) {
			const a = A.steps[i];
			const b = B.steps[i];
			if (!a || !b) continue;
			const d = (a.sfu / b.sfu - 1) * 100;
			const dp = (a.usPerPacket / b.usPerPacket - 1) * 100;
			const dj = (a.cpu.groups.janus / a.pps / (b.cpu.groups.janus / b.pps) - 1) * 100;
			const warn = a.sourceFps < STARVED_FPS || b.sourceFps < STARVED_FPS ? ' ⚠' : '';
			row([String(COUNTS[i]) + warn, f(a.sfu), f(b.sfu), sign(d), f(a.usPerPacket), f(b.usPerPacket), sign(dp), dp <= CPU_TOLERANCE ? 'yes' : 'NO', sign(dj), f(a.delivered, 3), f(b.delivered, 3)]);
		}
		lines.push('');
		lines.push(`µs/pkt: SFU CPU time per RTP packet delivered to a viewer (fair when the two sides ran at different packet rates). "A janus vs B janus" is per packet too. ⚠: the source ran below ${STARVED_FPS} fps in that window (CPU saturated), so that step is not at full load.`);
	}
	lines.push('');
	const top = Math.max(...COUNTS);
	const verdict = (label, ok, detail) => lines.push(`${ok ? 'PASS' : 'FAIL'}  ${label}: ${detail}`);
	const aTop = A?.steps.find((s) => s.n === top);
	const bTop = B?.steps.find((s) => s.n === top);
	const lossless = (s) => s.delivered >= LOSSLESS && s.viewers === top;
	if (aTop) verdict(`A lossless at ${top} viewers (≥ ${LOSSLESS} % delivered)`, lossless(aTop), `${f(aTop.delivered, 3)} % delivered (worst viewer ${f(aTop.deliveredMin, 2)} %), ${aTop.viewers}/${top} viewers receiving`);
	if (bTop) verdict(`B lossless at ${top} viewers (≥ ${LOSSLESS} % delivered)`, lossless(bTop), `${f(bTop.delivered, 3)} % delivered (worst viewer ${f(bTop.deliveredMin, 2)} %), ${bTop.viewers}/${top} viewers receiving`);
	if (aTop && bTop) {
		const dp = (aTop.usPerPacket / bTop.usPerPacket - 1) * 100;
		const d = (aTop.sfu / bTop.sfu - 1) * 100;
		verdict(
			`A's SFU CPU within ${CPU_TOLERANCE} % of bare Janus at ${top} viewers (per delivered packet)`,
			dp <= CPU_TOLERANCE,
			`${f(aTop.usPerPacket)} vs ${f(bTop.usPerPacket)} µs/packet (${sign(dp)}); ${f(aTop.sfu)} % vs ${f(bTop.sfu)} % of a core (${sign(d)})`
		);
	}
	for (const r of [A, B].filter(Boolean))
		for (const s of r.steps)
			if (s.sourceFps < STARVED_FPS) lines.push(`WARN  ${r.name} @${s.viewers}: the source ran at ${f(s.sourceFps)} fps (CPU saturated, machine ${f(s.cpu.machineBusy)} % busy): not a full-load step; rerun on a quieter machine.`);
	lines.push('');
	lines.push(
		`Note: 2 cores, shared. The ${top} viewers run in this process ("bench %": werift ICE/DTLS/RTCP for all, SRTP decryption only for the first ${FULL};` +
			' the others count packets from the clear RTP header), the test source encodes 720p30 on the same cores (at nice -10), and "machine %"' +
			' is the busy share of both cores, other users\' processes included. Latencies include this process\'s own event-loop delay.'
	);
	return lines.join('\n');
}

// ---- main ----

try {
	log(`SFU load bench: viewers ${COUNTS.join(', ')}; ${ROUNDS} × ${WINDOW_S} s windows per side and count; ${FULL} full viewers; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
	const sides = [];
	if (!opt.only || opt.only.toUpperCase() === 'A') {
		buildIfStale();
		sides.push(sideVantage());
	}
	if (!opt.only || opt.only.toUpperCase() === 'B') sides.push(sideJanus());
	const results = await runAll(sides);
	const text = report(results);
	console.log(text);
	if (opt.json) writeFileSync(opt.json, JSON.stringify({ counts: COUNTS, windowSeconds: WINDOW_S, rounds: ROUNDS, results }, null, 2));
	log('done');
	await cleanup();
	process.exit(0);
} catch (e) {
	console.error(`bench failed: ${e.stack ?? e.message}`);
	await cleanup();
	process.exit(1);
}

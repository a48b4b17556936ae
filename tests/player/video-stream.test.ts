// src/lib/player/video-stream.js in Debian's Chromium against a tiny fake server (node http + ws) that
// refuses WebRTC and streams a real fMP4 from ffmpeg over MSE, paced at real time.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { WebSocketServer, WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PLAYER = path.join(ROOT, 'src/lib/player/video-stream.js');
const HLS_JS = path.join(ROOT, 'node_modules/hls.js/dist/hls.min.js'); // the UMD build the server should serve at /hls.js
const CLIP_SECONDS = 6;

// ---- the test clip: ffmpeg's fragmented MP4 cut into init + moof/mdat fragments ----------

interface Fragment { data: Buffer; start: number /* seconds */ }
interface Clip { init: Buffer; fragments: Fragment[]; mime: string; timescale: number }

/** Top-level boxes of an ISO-BMFF buffer. */
function boxes(buf: Buffer, from = 0, to = buf.length) {
	const out: { type: string; start: number; end: number }[] = [];
	for (let at = from; at + 8 <= to; ) {
		const size = buf.readUInt32BE(at);
		if (size < 8) break;
		out.push({ type: buf.toString('latin1', at + 4, at + 8), start: at, end: at + size });
		at += size;
	}
	return out;
}

/** The box at a path like ['moov', 'trak', 'mdia', 'mdhd'], searched depth-first. */
function findBox(buf: Buffer, names: string[], from = 0, to = buf.length): { start: number; end: number } | null {
	const box = boxes(buf, from, to).find((b) => b.type === names[0]);
	if (!box) return null;
	return names.length === 1 ? box : findBox(buf, names.slice(1), box.start + 8, box.end);
}

function readTfdt(moof: Buffer): { offset: number; version: number; value: bigint } {
	const tfdt = findBox(moof, ['moof', 'traf', 'tfdt'])!;
	const version = moof[tfdt.start + 8];
	const offset = tfdt.start + 12;
	return { offset, version, value: version === 1 ? moof.readBigUInt64BE(offset) : BigInt(moof.readUInt32BE(offset)) };
}

/** A copy of a moof+mdat with its decode time moved forward (to loop the clip as a live stream). */
function shiftFragment(data: Buffer, ticks: bigint): Buffer {
	if (ticks === 0n) return data;
	const copy = Buffer.from(data);
	const { offset, version, value } = readTfdt(copy);
	if (version === 1) copy.writeBigUInt64BE(value + ticks, offset);
	else copy.writeUInt32BE(Number(value + ticks), offset);
	return copy;
}

function ffmpeg(args: string[]): Promise<Buffer> {
	return new Promise<Buffer>((resolve, reject) => {
		const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
		const out: Buffer[] = [];
		let err = '';
		const timer = setTimeout(() => ff.kill('SIGKILL'), 30_000);
		ff.stdout.on('data', (d: Buffer) => out.push(d));
		ff.stderr.on('data', (d: Buffer) => (err += d));
		ff.on('error', reject);
		ff.on('close', (code) => {
			clearTimeout(timer);
			if (code === 0) resolve(Buffer.concat(out));
			else reject(new Error(`ffmpeg exited with ${code}: ${err}`));
		});
	});
}

const SOURCE = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25'];
const H264 = ['-c:v', 'libx264', '-profile:v', 'high', '-g', '25', '-pix_fmt', 'yuv420p'];

async function makeClip(): Promise<Clip> {
	const mp4 = await ffmpeg([...SOURCE, '-t', String(CLIP_SECONDS), ...H264, '-f', 'mp4',
		'-movflags', 'empty_moov+default_base_moof+frag_keyframe', 'pipe:1']);
	const top = boxes(mp4);
	const ftyp = top.find((b) => b.type === 'ftyp')!;
	const moov = top.find((b) => b.type === 'moov')!;
	const init = mp4.subarray(ftyp.start, moov.end);
	const mdhd = findBox(mp4, ['moov', 'trak', 'mdia', 'mdhd'])!;
	const timescale = mp4.readUInt32BE(mdhd.start + (mp4[mdhd.start + 8] === 1 ? 28 : 20));
	const avcC = mp4.indexOf('avcC', moov.start, 'latin1');
	const mime = `video/mp4; codecs="avc1.${mp4.subarray(avcC + 5, avcC + 8).toString('hex')}"`;

	const fragments: Fragment[] = [];
	top.forEach((box, i) => {
		const mdat = top[i + 1];
		if (box.type !== 'moof' || mdat?.type !== 'mdat') return;
		const data = mp4.subarray(box.start, mdat.end);
		fragments.push({ data, start: Number(readTfdt(data).value) / timescale });
	});
	return { init, fragments, mime, timescale };
}

/** An HLS rendition of the same source in dir: index.m3u8 + 1 s fMP4 segments. */
async function makeHls(dir: string) {
	await ffmpeg([...SOURCE, '-t', String(CLIP_SECONDS), ...H264, '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod',
		'-hls_segment_type', 'fmp4', '-hls_segment_filename', path.join(dir, 'seg%d.m4s'), path.join(dir, 'index.m3u8')]);
}

/** A self-contained MP4 holding one keyframe, like the server's snapshot frames. */
const makeSnapshot = () => ffmpeg([...SOURCE, '-frames:v', '1', ...H264, '-f', 'mp4', '-movflags', 'empty_moov+frag_keyframe', 'pipe:1']);

// ---- the fake server ----------------------------------------------------------------
//
// What it answers depends on the camera id in the socket URL:
//   cam1     webrtc/offer → error; mse → MIME, init segment, fragments paced at real time (looped)
//   lagcam   like cam1 but starts 20 s behind live (a burst of old fragments first)
//   slowrtc  webrtc/offer → no answer at all; mse → as cam1
//   rtccam   WebRTC relayed to a sender page in the same browser (canvas.captureStream)
//   hlscam   webrtc/offer, mse → error; hls → a master playlist with an absolute variant URL
//   snapcam  mp4 → a one-keyframe MP4 every second

interface Conn {
	ws: WebSocket;
	url: string;
	id: string;
	messages: { type: string; value: unknown }[];
	closed: boolean;
	closedByServer: boolean;
	silent: boolean; // stop sending media but keep the socket open
	timer?: NodeJS.Timeout;
}

// Same shape as the API document's embed example; ?id= and ?mode= pick the scenario,
// ?nomse hides MSE, as on older iPhones, so that native HLS is used.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>player</title></head>
<body style="margin:0">
<script>
if (new URLSearchParams(location.search).has('nomse')) {
	delete window.MediaSource;
	delete window.ManagedMediaSource;
}
</script>
<script type="module" src="/video-stream.js"></script>
<script type="module">
const q = new URLSearchParams(location.search);
window.__events = [];
window.__frames = 0;
const player = document.createElement('video-stream');
player.style.cssText = 'width:640px;height:360px';
player.mode = q.get('mode') ?? 'webrtc,mse,hls'; // try in order
player.src = 'ws://' + location.host + '/api/proxy/ws?id=' + (q.get('id') ?? 'cam1') + '&token=TOKEN';
for (const type of ['statechange', 'modechange']) {
	player.addEventListener(type, (e) => window.__events.push({ type, ...e.detail, overlay: player.shadowRoot.querySelector('.msg').textContent }));
}
// Count presented frames on the inner video; re-arm when the source changes.
const video = player.video;
let request = 0;
const arm = () => {
	if (request) video.cancelVideoFrameCallback(request);
	request = video.requestVideoFrameCallback(() => { request = 0; window.__frames++; arm(); });
};
arm();
video.addEventListener('loadeddata', arm);
document.body.appendChild(player);
const spacer = document.createElement('div');
spacer.style.height = '5000px';
document.body.appendChild(spacer);
window.player = player;
</script>
</body></html>`;

const CONTENT_TYPES: Record<string, string> = { '.m3u8': 'application/vnd.apple.mpegurl', '.m4s': 'video/mp4', '.mp4': 'video/mp4' };

/** Answers offers for 'rtccam' from a page that sends a canvas stream. */
type RtcPeer = (conn: Conn, msg: { type: string; value: unknown }) => void;

function startServer(clip: Clip, hlsDir: string, snapshot: Buffer, rtcPeer: () => RtcPeer) {
	const conns: Conn[] = [];
	const requests: string[] = [];
	let origin = '';
	const http: Server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://x');
		requests.push(url.pathname);
		const hlsFile = url.pathname.match(/^\/hls\/([\w.]+)$/)?.[1];
		if (url.pathname === '/video-stream.js') {
			res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
			res.end(readFileSync(PLAYER));
		} else if (url.pathname === '/hls.js') {
			res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
			res.end(readFileSync(HLS_JS));
		} else if (hlsFile) {
			try {
				const body = readFileSync(path.join(hlsDir, hlsFile));
				res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(hlsFile)] ?? 'application/octet-stream' });
				res.end(body);
			} catch {
				res.writeHead(404).end();
			}
		} else if (url.pathname === '/') {
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
			res.end(PAGE);
		} else {
			res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end();
		}
	});
	const wss = new WebSocketServer({ server: http, path: '/api/proxy/ws' });

	function streamMse(conn: Conn, behindSeconds = 0) {
		conn.ws.send(JSON.stringify({ type: 'mse', value: clip.mime }));
		conn.ws.send(clip.init);
		const t0 = performance.now() - behindSeconds * 1000;
		const loopTicks = BigInt(CLIP_SECONDS * clip.timescale);
		let k = 0;
		const next = () => {
			const n = clip.fragments.length;
			const loop = Math.floor(k / n);
			const fragment = clip.fragments[k % n];
			const due = t0 + (loop * CLIP_SECONDS + fragment.start) * 1000;
			conn.timer = setTimeout(() => {
				if (conn.closed || conn.silent) return;
				conn.ws.send(shiftFragment(fragment.data, BigInt(loop) * loopTicks));
				k++;
				next();
			}, Math.max(0, due - performance.now()));
		};
		next();
	}

	function streamSnapshots(conn: Conn) {
		const send = () => {
			if (conn.closed || conn.silent) return;
			conn.ws.send(snapshot);
			conn.timer = setTimeout(send, 1000);
		};
		send();
	}

	const masterPlaylist = () =>
		`#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION=640x360,CODECS="${clip.mime.match(/codecs="([^"]+)"/)![1]}"\n${origin}/hls/index.m3u8\n`;

	wss.on('connection', (ws, req) => {
		const url = req.url ?? '';
		const id = new URL(url, 'http://x').searchParams.get('id') ?? '';
		const conn: Conn = { ws, url, id, messages: [], closed: false, closedByServer: false, silent: false };
		conns.push(conn);
		const refuse = (type: string) => ws.send(JSON.stringify({ type: 'error', value: `${type}: not available` }));
		ws.on('message', (data, isBinary) => {
			if (isBinary) return;
			const msg = JSON.parse(String(data));
			conn.messages.push(msg);
			if (msg.type === 'webrtc/candidate') return;
			if (id === 'rtccam') rtcPeer()(conn, msg);
			else if (id === 'slowrtc' && msg.type === 'webrtc/offer') return; // never answered
			else if (['cam1', 'slowrtc'].includes(id) && msg.type === 'mse') streamMse(conn);
			else if (id === 'lagcam' && msg.type === 'mse') streamMse(conn, 20);
			else if (id === 'hlscam' && msg.type === 'hls') ws.send(JSON.stringify({ type: 'hls', value: masterPlaylist() }));
			else if (id === 'snapcam' && msg.type === 'mp4') streamSnapshots(conn);
			else refuse(msg.type);
		});
		ws.on('close', () => {
			conn.closed = true;
			clearTimeout(conn.timer);
		});
	});

	return {
		conns,
		requests,
		listen: () =>
			new Promise<string>((resolve) =>
				http.listen(0, '127.0.0.1', () => resolve((origin = `http://127.0.0.1:${(http.address() as { port: number }).port}`)))
			),
		close: async () => {
			for (const c of conns) {
				clearTimeout(c.timer);
				c.ws.terminate();
			}
			await new Promise((r) => wss.close(r));
			await new Promise((r) => http.close(r));
		}
	};
}

// ---- helpers --------------------------------------------------------------------------

async function waitFor<T>(label: string, fn: () => T | Promise<T>, timeoutMs: number): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	while (Date.now() < deadline) {
		try {
			const value = await fn();
			if (value) return value;
			last = value;
		} catch (error) {
			last = error;
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`timed out after ${timeoutMs} ms waiting for ${label} (last: ${String(last)})`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PlayerView {
	frames: number;
	state: string;
	activeMode: string;
	videoWidth: number;
	poster: string;
	overlay: string;
	stats: { mode: string; width: number; height: number; fps: number; latency: number | null };
	events: { type: string; state?: string; mode?: string; previous?: string; message?: string; overlay: string }[];
}

const view = (page: Page) =>
	page.evaluate(() => {
		const p = (window as any).player;
		return {
			frames: (window as any).__frames,
			state: p.state,
			activeMode: p.activeMode,
			videoWidth: p.video.videoWidth,
			poster: p.video.poster.slice(0, 30),
			overlay: p.shadowRoot.querySelector('.msg').textContent,
			stats: p.stats,
			events: (window as any).__events
		};
	}) as Promise<PlayerView>;

/** Wait for `count` more presented frames than now. */
async function moreFrames(page: Page, count: number, timeoutMs: number) {
	const start = (await view(page)).frames;
	return waitFor(`${count} more frames`, async () => (await view(page)).frames >= start + count, timeoutMs);
}

// ---- the tests ------------------------------------------------------------------------

describe('<video-stream> against a fake go2rtc-style server', () => {
	let clip: Clip;
	let server: ReturnType<typeof startServer>;
	let browser: Browser;
	let page: Page;
	let base = '';
	let hlsDir = '';
	const consoleLines: string[] = [];

	async function openPage(query = '', before?: (p: Page) => Promise<void>) {
		const p = await browser.newPage({ viewport: { width: 800, height: 600 } });
		await before?.(p);
		p.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
		p.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
		await p.goto(`${base}/${query}`, { timeout: 15_000 });
		return p;
	}
	const withConsole = (e: Error) => new Error(`${e.message}\nbrowser console:\n${consoleLines.join('\n')}`);

	/**
	 * The WebRTC "server": a second RTCPeerConnection sending an animated canvas. It lives in
	 * the player's own page (a background page's timers are throttled, so its canvas would
	 * hardly change). Signalling goes player → ws server → sender → ws server → player.
	 */
	let sender: Page;
	const rtcPeer: RtcPeer = (conn, msg) => {
		if (msg.type === 'webrtc/offer') {
			sender
				.evaluate(async ({ sdp, conn }) => {
					const w = window as any;
					const canvas = document.createElement('canvas');
					canvas.width = 320;
					canvas.height = 240;
					const ctx = canvas.getContext('2d')!;
					let n = 0;
					setInterval(() => {
						ctx.fillStyle = `hsl(${(n++ * 7) % 360} 80% 50%)`;
						ctx.fillRect(0, 0, 320, 240);
					}, 40);
					const pc = new RTCPeerConnection();
					w.pc = pc;
					pc.onicecandidate = (e) => w.toPlayer(conn, JSON.stringify({ type: 'webrtc/candidate', value: e.candidate?.candidate ?? '' }));
					await pc.setRemoteDescription({ type: 'offer', sdp });
					const stream = canvas.captureStream(25);
					pc.addTrack(stream.getVideoTracks()[0], stream);
					await pc.setLocalDescription(await pc.createAnswer());
					return pc.localDescription!.sdp;
				}, { sdp: String(msg.value), conn: server.conns.indexOf(conn) })
				.then((sdp) => conn.ws.send(JSON.stringify({ type: 'webrtc/answer', value: sdp })));
		} else if (msg.type === 'webrtc/candidate') {
			sender.evaluate((c) => (window as any).pc.addIceCandidate(c ? { candidate: c, sdpMLineIndex: 0 } : null), String(msg.value)).catch(() => {});
		} else {
			conn.ws.send(JSON.stringify({ type: 'error', value: `${msg.type}: not available` }));
		}
	};

	beforeAll(async () => {
		hlsDir = mkdtempSync(path.join(tmpdir(), 'vantage-player-hls-'));
		const [c, snapshot] = await Promise.all([makeClip(), makeSnapshot(), makeHls(hlsDir)]);
		clip = c;
		server = startServer(clip, hlsDir, snapshot, () => rtcPeer);
		base = await server.listen();
		browser = await chromium.launch({
			executablePath: '/usr/bin/chromium',
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
				'--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
			timeout: 30_000
		});
	}, 90_000);

	afterAll(async () => {
		await browser?.close();
		await server?.close();
		if (hlsDir) rmSync(hlsDir, { recursive: true, force: true });
	});

	it('clip is a real fMP4: init segment plus one fragment per keyframe', () => {
		expect(clip.mime).toMatch(/^video\/mp4; codecs="avc1\.64[0-9a-f]{4}"$/);
		expect(clip.fragments.length).toBeGreaterThanOrEqual(CLIP_SECONDS);
		expect(clip.fragments[0].start).toBe(0);
	});

	describe('MSE', () => {
		const conns = () => server.conns.filter((c) => c.id === 'cam1');

		it('falls back from refused WebRTC to MSE and decodes frames', async () => {
			page = await openPage();
			await waitFor('20 frames at 640 px in mse mode', async () => {
				const v = await view(page);
				return v.frames >= 20 && v.videoWidth === 640 && v.activeMode === 'mse';
			}, 20_000).catch((e) => { throw withConsole(e); });

			// The protocol as the server saw it: offer first, refused, then mse on the same socket.
			expect(conns().length).toBe(1);
			const first = conns()[0];
			expect(first.url).toBe('/api/proxy/ws?id=cam1&token=TOKEN');
			const types = first.messages.map((m) => m.type);
			expect(types[0]).toBe('webrtc/offer');
			expect(String(first.messages[0].value)).toMatch(/^v=0/);
			expect(String(first.messages[0].value)).toMatch(/a=recvonly/);
			expect(types.indexOf('mse')).toBeGreaterThan(0);
			const codecs = String(first.messages.find((m) => m.type === 'mse')!.value).split(',');
			expect(codecs).toContain('avc1.640029');
			const probed = ['avc1.640029', 'avc1.64002A', 'avc1.640033', 'hvc1.1.6.L153.B0', 'mp4a.40.2', 'mp4a.40.5', 'flac', 'opus'];
			expect(codecs.every((c) => probed.includes(c))).toBe(true);

			const v = await view(page);
			expect(v.state).toBe('playing');
			expect(v.overlay).toBe(''); // the refusal was shown, then cleared once MSE played
			expect(v.events.filter((e) => e.type === 'statechange').map((e) => e.state)).toEqual(['connecting', 'playing']);
			expect(v.events.filter((e) => e.type === 'modechange').map((e) => e.mode)).toEqual(['mse']);
			expect(consoleLines.some((l) => l.includes('webrtc/offer: not available'))).toBe(true);
		});

		it('reports stats and stays near the live edge across the clip loop', async () => {
			// 9 s of samples: past the 6 s point where the server loops the clip with shifted timestamps.
			for (let i = 0; i < 9; i++) {
				const before = (await view(page)).frames;
				await sleep(1000);
				const { frames, stats } = await view(page);
				expect(frames - before).toBeGreaterThan(15);
				expect(stats).toMatchObject({ mode: 'mse', width: 640, height: 360 });
				expect(stats.fps).toBeGreaterThan(15);
				expect(stats.fps).toBeLessThan(35);
				expect(stats.latency).not.toBeNull();
				expect(stats.latency!).toBeLessThan(2.5);
			}
		});

		it('reconnects by itself when the server closes the socket', async () => {
			const first = conns()[0];
			first.closedByServer = true;
			first.ws.close(1001, 'going away');
			await waitFor('a second connection', () => conns().length >= 2, 10_000);
			await moreFrames(page, 20, 15_000);
			// The mode that played last is tried first on reconnect.
			expect(conns()[1].messages[0]?.type).toBe('mse');
			const v = await view(page);
			expect(v.state).toBe('playing');
			expect(v.events.map((e) => e.state).filter(Boolean).slice(-2)).toEqual(['reconnecting', 'playing']);
			expect(v.events.find((e) => e.state === 'reconnecting')?.overlay).toMatch(/connection closed/);
		});

		it('reconnects when playback stalls with the socket still open', async () => {
			const conn = conns().at(-1)!;
			const before = conns().length;
			conn.silent = true; // no more fragments, socket stays open
			await waitFor('the player to drop the stalled socket', () => conn.closed, 12_000);
			expect(conn.closedByServer).toBe(false);
			await waitFor('a new connection', () => conns().length > before, 10_000);
			await moreFrames(page, 20, 15_000);
		});

		it('pauses off screen and resumes when scrolled back', async () => {
			const conn = conns().at(-1)!;
			const before = conns().length;
			await page.evaluate(() => window.scrollTo(0, 3000));
			await waitFor('the socket to close off screen', () => conn.closed, 5000);
			expect((await view(page)).state).toBe('idle');
			await page.evaluate(() => window.scrollTo(0, 0));
			await waitFor('a new connection on screen', () => conns().length > before, 5000);
			await moreFrames(page, 20, 15_000);
			expect((await view(page)).state).toBe('playing');
		});

		it('converts http(s) src to ws(s)', async () => {
			const urls = await page.evaluate(() => {
				const p = document.createElement('video-stream') as any;
				p.src = 'http://example.test/api/proxy/ws?id=1';
				const a = p.src;
				p.src = 'https://example.test/x';
				return [a, p.src];
			});
			expect(urls).toEqual(['ws://example.test/api/proxy/ws?id=1', 'wss://example.test/x']);
		});

		it('keeps the stream when the same src is set again', async () => {
			const count = conns().length;
			await page.evaluate(() => {
				const p = (window as any).player;
				p.src = p.src; // frameworks re-set properties on every render
				p.mode = p.mode;
			});
			await moreFrames(page, 20, 5000);
			expect(conns().length).toBe(count);
			expect(conns().at(-1)!.closed).toBe(false);
		});

		it('disconnects when the element is removed', async () => {
			const conn = conns().at(-1)!;
			const count = conns().length;
			await page.evaluate(() => (window as any).player.remove());
			await waitFor('the socket to close', () => conn.closed, 5000);
			await sleep(2500); // longer than the first reconnect delay
			expect(conns().length).toBe(count);
			expect((await view(page)).state).toBe('idle');
			await page.close();
		});
	});

	describe('live edge', () => {
		it('jumps to live and trims the buffer when the stream starts far behind', async () => {
			const p = await openPage('?id=lagcam&mode=mse');
			try {
				await waitFor('playing near live', async () => {
					const v = await view(p);
					return v.frames >= 10 && v.stats.latency !== null && v.stats.latency < 1.5;
				}, 10_000).catch((e) => { throw withConsole(e); });
				// 20 s arrived at once: the playhead jumped near its end, and the next append trims
				// what lies more than ~10 s behind it.
				const buffer = () =>
					p.evaluate(() => {
						const v = (window as any).player.video as HTMLVideoElement;
						return { time: v.currentTime, start: v.buffered.start(0) };
					});
				expect((await buffer()).time).toBeGreaterThan(18);
				await waitFor('the buffer to be trimmed', async () => {
					const { time, start } = await buffer();
					return start > 0 && time - start <= 15.5;
				}, 5000);
			} finally {
				await p.close();
			}
		});
	});

	describe('WebRTC', () => {
		it('plays WebRTC; survives a dropped socket, reconnects when the server closes it', async () => {
			const p = await openPage('?id=rtccam', async (page) => {
				sender = page;
				await page.exposeFunction('toPlayer', (index: number, m: string) => {
					const conn = server.conns[index];
					if (!conn.closed) conn.ws.send(m);
				});
			});
			try {
				await waitFor('webrtc frames', async () => {
					const v = await view(p);
					return v.frames >= 20 && v.activeMode === 'webrtc' && v.videoWidth === 320;
				}, 15_000).catch((e) => { throw withConsole(e); });
				const conn = server.conns.filter((c) => c.id === 'rtccam').at(-1)!;
				const types = conn.messages.map((m) => m.type);
				expect(types[0]).toBe('webrtc/offer');
				expect(types.slice(1).every((t) => t === 'webrtc/candidate')).toBe(true);
				expect(conn.messages.some((m) => m.type === 'webrtc/candidate' && String(m.value).startsWith('candidate:'))).toBe(true);
				expect(conn.messages.at(-1)).toEqual({ type: 'webrtc/candidate', value: '' }); // end of candidates
				const { stats } = await view(p);
				expect(stats).toMatchObject({ mode: 'webrtc', width: 320, height: 240 });
				expect(stats.fps).toBeGreaterThan(10);

				// A dropped socket (1006, e.g. a proxy's idle timeout): media is peer to peer, keep it.
				const count = server.conns.length;
				conn.ws.terminate();
				await sleep(500);
				await moreFrames(p, 20, 5000);
				expect(server.conns.length).toBe(count);
				expect((await view(p)).state).toBe('playing');

				// The server closing the socket on purpose ends the session: a new one is negotiated.
				p.evaluate(() => (window as any).player.remove()).catch(() => {});
				await waitFor('idle', async () => (await view(p)).state === 'idle', 5000);
				await p.evaluate(() => document.body.prepend((window as any).player));
				await waitFor('webrtc again', async () => (await view(p)).activeMode === 'webrtc' && server.conns.length > count, 15_000);
				const again = server.conns.filter((c) => c.id === 'rtccam').at(-1)!;
				const reconnects = server.conns.length;
				again.ws.close(1000, 'webrtc closed');
				await waitFor('a reconnect', () => server.conns.length > reconnects, 5000);
				const last = server.conns.at(-1)!;
				expect(last.messages[0]?.type).toBe('webrtc/offer');
				await waitFor('playing webrtc', async () => (await view(p)).state === 'playing', 15_000);
				await moreFrames(p, 20, 5000);
			} finally {
				await p.close();
			}
		});

		it('falls back to MSE when WebRTC does not connect within ~5 s', async () => {
			const started = Date.now();
			const p = await openPage('?id=slowrtc');
			try {
				await waitFor('mse frames', async () => {
					const v = await view(p);
					return v.frames >= 20 && v.activeMode === 'mse';
				}, 15_000).catch((e) => { throw withConsole(e); });
				expect(Date.now() - started).toBeGreaterThan(5000);
				const [first, second] = server.conns.filter((c) => c.id === 'slowrtc');
				expect(first.messages[0].type).toBe('webrtc/offer');
				expect(first.messages.some((m) => m.type === 'mse')).toBe(false);
				expect(first.closed).toBe(true); // a fresh socket for the next mode
				expect(second.messages.map((m) => m.type)).toEqual(['mse']);
				const events = (await view(p)).events;
				expect(events.some((e) => /webrtc: no video after 5 s/.test(e.overlay))).toBe(false); // cleared by now
				expect(consoleLines.some((l) => l.includes('webrtc: no video after 5 s'))).toBe(true);
			} finally {
				await p.close();
			}
		});
	});

	describe('HLS', () => {
		for (const [name, query] of [['hls.js from /hls.js', '?id=hlscam&mode=mse,hls'], ['native HLS (no MSE)', '?id=hlscam&mode=mse,hls&nomse']]) {
			it(`falls back from refused MSE to ${name}`, async () => {
				const before = server.conns.length;
				const hlsJsLoads = server.requests.filter((r) => r === '/hls.js').length;
				const p = await openPage(query);
				try {
					await waitFor('20 frames at 640 px in hls mode', async () => {
						const v = await view(p);
						return v.frames >= 20 && v.videoWidth === 640 && v.activeMode === 'hls';
					}, 30_000).catch((e) => { throw withConsole(e); });
					const conn = server.conns.slice(before).find((c) => c.id === 'hlscam')!;
					const noMse = query.includes('nomse');
					// Without MSE the player doesn't ask for it; with it, MSE is refused and HLS follows on the same socket.
					expect(conn.messages.map((m) => m.type)).toEqual(noMse ? ['hls'] : ['mse', 'hls']);
					expect(String(conn.messages.at(-1)!.value)).toContain('avc1.640029');
					const usedHlsJs = server.requests.filter((r) => r === '/hls.js').length > hlsJsLoads;
					expect(usedHlsJs).toBe(!noMse);
					expect(server.requests).toContain('/hls/index.m3u8'); // the variant, not the master
				} finally {
					await p.close();
				}
			});
		}
	});

	describe('MP4 snapshots', () => {
		it('shows each keyframe MP4 as the poster', async () => {
			const p = await openPage('?id=snapcam&mode=mp4');
			try {
				await waitFor('an mp4 snapshot', async () => {
					const v = await view(p);
					return v.activeMode === 'mp4' && v.poster.startsWith('data:image/jpeg');
				}, 15_000).catch((e) => { throw withConsole(e); });
				const conn = server.conns.filter((c) => c.id === 'snapcam').at(-1)!;
				expect(conn.messages.map((m) => m.type)).toEqual(['mp4']);
				const { stats } = await view(p);
				expect(stats).toMatchObject({ mode: 'mp4', width: 640, height: 360 });
			} finally {
				await p.close();
			}
		});
	});
});

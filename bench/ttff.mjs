// Time to first frame of <video-stream> in Chromium, per mode (WebRTC, MSE, HLS):
// from creating the element to the first requestVideoFrameCallback, with the
// camera already streaming (keepalive, online, keyframe cached, 1 s GOP).
// Each run is a fresh page, started once the server has dropped the previous
// viewer (GET /api/cameras/:id/consumers). Some outputs stay up a while after
// their last viewer, so a mode is measured warm and cold:
//   webrtc       warm: the camera's Janus mountpoint is still up (closes 30 s after
//                its last viewer); run 1 of the first pass opens it
//   webrtc-cold  each run waits for that mountpoint to close (35 s)
//   mse          nothing lingers: the WebSocket feed starts at the cached keyframe
//   hls-cold     each run waits for the previous HLS session to expire, which also
//                closes the camera's LL-HLS muxer (~30-35 s)
//   hls-warm     runs follow each other: the muxer is still up
//   node bench/ttff.mjs          RUNS=10 (per mode)   MODES=webrtc,webrtc-cold,mse,hls-cold,hls-warm
import { bench, sleep, summary, table, verdict } from './lib/run.mjs';
import { startServer } from './lib/server.mjs';
import { startFakeCamera } from './lib/camera.mjs';
import { launchChromium, playerPage } from './lib/browser.mjs';

const RUNS = Number(process.env.RUNS ?? 10);
const MODES = (process.env.MODES ?? 'webrtc,webrtc-cold,mse,hls-cold,hls-warm').split(',');
const MOUNT_IDLE_MS = 30_000; // src/lib/server/live/webrtc.ts
const LIMIT_MS = 20_000; // a run with no frame by then counts as failed
// Median targets (ms); only WebRTC has one.
const TARGETS = { webrtc: 300 };

/** In the page: create the element, return ms to its first presented frame. */
async function firstFrame(page, mode, src) {
	return page.evaluate(
		({ mode, src, limit }) =>
			new Promise((resolve) => {
				const started = performance.now();
				const player = document.createElement('video-stream');
				player.mode = mode;
				player.src = src;
				player.style.cssText = 'display:block;width:640px;height:360px';
				document.body.appendChild(player);
				const video = player.shadowRoot.querySelector('video');
				const timer = setTimeout(() => resolve({ error: `no frame in ${limit} ms: ${player.shadowRoot.querySelector('.msg')?.textContent}` }), limit);
				video.requestVideoFrameCallback(() => {
					clearTimeout(timer);
					resolve({ ms: performance.now() - started, width: video.videoWidth });
				});
				window.__player = player;
			}),
		{ mode, src, limit: LIMIT_MS }
	);
}

await bench('time to first frame (<video-stream> in Chromium)', async () => {
	const camera = await startFakeCamera();
	const server = await startServer();
	const id = await server.createCamera('ttff', camera.url);
	const status = await server.waitOnline(id, 4000);
	console.log(`camera: ${status.codec} ${status.width}x${status.height} ${status.fps} fps ${Math.round(status.bitrate / 1000)} kbit/s, keepalive, 1 s GOP`);
	const browser = await launchChromium();
	const src = `${server.ws}/api/proxy/ws?id=${id}&token=${server.token}`;

	const rows = [];
	for (const label of MODES) {
		const mode = label.split('-')[0];
		const waitForDrop = label !== 'hls-warm'; // hls-warm: the previous HLS session keeps the muxer up
		const times = [];
		const errors = [];
		process.stdout.write(`${label}:`);
		for (let run = 0; run < RUNS; run++) {
			if (waitForDrop) await server.waitNoViewer(id, mode, 90_000);
			if (label === 'webrtc-cold') await sleep(MOUNT_IDLE_MS + 5000);
			const { context, page } = await playerPage(browser, server.base);
			const r = await firstFrame(page, mode, src);
			// Remove the element first (closes its socket / peer connection), then the page.
			await page.evaluate(() => window.__player.remove()).catch(() => {});
			await context.close();
			if (!r.error && r.width !== 1280) r.error = `first frame ${r.width} px wide, not 1280`;
			if (r.error) errors.push(r.error);
			else times.push(r.ms);
			process.stdout.write(` ${r.error ? 'x' : Math.round(r.ms)}`);
			if (!waitForDrop) await sleep(500);
		}
		console.log();
		for (const e of new Set(errors)) console.log(`  failed run: ${e}`);
		if (!times.length) {
			rows.push({ mode: label, ok: `0/${RUNS}`, 'min ms': '', 'median ms': '', 'p90 ms': '', target: verdict(Infinity, TARGETS[mode], ' ms') });
			continue;
		}
		const s = summary(times);
		rows.push({
			mode: label,
			ok: `${times.length}/${RUNS}`,
			'min ms': Math.round(s.min),
			'median ms': Math.round(s.median),
			'p90 ms': Math.round(s.p90),
			target: verdict(errors.length ? Infinity : s.median, TARGETS[mode], ' ms')
		});
	}
	console.log();
	table(rows);
	console.log('\nTarget: WebRTC median ≤ 300 ms (no target given for MSE and HLS). A failed run fails the target.');
});

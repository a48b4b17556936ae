// How far behind live HLS playback is, glass to glass: the fake camera writes the
// wall clock into every picture (a barcode in its top rows, see lib/camera.mjs);
// <video-stream> plays it in Chromium and, for every frame shown during SECONDS,
// the page reads the barcode back (requestVideoFrameCallback → canvas) and
// subtracts it from the frame's display time. Same machine, same clock.
// Passes, each a fresh page, the same camera and server:
//   hls     <video-stream mode="hls"> as it is (hls.js wherever MSE exists; native HLS before 9d67d99)
//   hls.js  the same with native HLS hidden (canPlayType), so the element uses hls.js
//           (the path of browsers without native HLS)
//   mse, webrtc   the baseline in the same run: the other live paths, same camera
// Also shown: the element's own estimate (player.stats.latency), sampled each second.
//   node bench/hls-latency.mjs          SECONDS=20  MODES=hls,hls.js,mse,webrtc
import { bench, summary, table, verdict } from './lib/run.mjs';
import { startServer } from './lib/server.mjs';
import { startFakeCamera } from './lib/camera.mjs';
import { launchChromium, playerPage } from './lib/browser.mjs';

const SECONDS = Number(process.env.SECONDS ?? 20);
const MODES = (process.env.MODES ?? 'hls,hls.js,mse,webrtc').split(',');
const SETTLE_S = 3; // after the first frame, before sampling (players settle on their live offset)
const TARGET_S = 1.5; // for HLS

/** In the page: play, settle, then for `seconds` decode every frame's stamp. */
function measure({ mode, src, seconds, settle, hideNativeHls }) {
	if (hideNativeHls) {
		const original = HTMLMediaElement.prototype.canPlayType;
		HTMLMediaElement.prototype.canPlayType = function (type) {
			return /mpegurl/i.test(type) ? '' : original.call(this, type);
		};
	}
	const player = document.createElement('video-stream');
	player.mode = mode;
	player.src = src;
	player.style.cssText = 'display:block;width:640px;height:360px';
	document.body.appendChild(player);
	const video = player.shadowRoot.querySelector('video');
	const canvas = Object.assign(document.createElement('canvas'), { width: 1280, height: 24 });
	const ctx = canvas.getContext('2d', { willReadFrequently: true });
	const result = { latencies: [], estimates: [], unreadable: 0, activeMode: '' };
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		let sampleFrom = Infinity;
		let sampleUntil = Infinity;
		const timer = setTimeout(() => reject(new Error(`${mode}: no frame in 20 s: ${player.shadowRoot.querySelector('.msg').textContent}`)), 20_000);
		const onFrame = (now, meta) => {
			if (sampleFrom === Infinity) {
				clearTimeout(timer);
				result.firstFrameMs = now - t0;
				sampleFrom = now + settle * 1000;
				sampleUntil = sampleFrom + seconds * 1000;
			}
			if (now >= sampleUntil) {
				result.activeMode = player.activeMode;
				clearInterval(estimates);
				player.remove();
				return resolve(result);
			}
			if (now >= sampleFrom) {
				ctx.drawImage(video, 0, 0, 1280, 24, 0, 0, 1280, 24);
				const px = ctx.getImageData(0, 12, 1280, 1).data;
				let stamp = 0;
				let clean = true;
				for (let i = 0; i < 32; i++) {
					const y = px[(i * 40 + 20) * 4];
					if (y > 60 && y < 195) clean = false;
					stamp = stamp * 2 + (y >= 128 ? 1 : 0);
				}
				let age = (Math.round(performance.timeOrigin + meta.expectedDisplayTime) - stamp) >>> 0;
				if (age > 2 ** 31) age -= 2 ** 32;
				if (clean) result.latencies.push(age / 1000);
				else result.unreadable++;
			}
			video.requestVideoFrameCallback(onFrame);
		};
		const estimates = setInterval(() => {
			const l = player.stats.latency;
			if (performance.now() >= sampleFrom && l !== null) result.estimates.push(l);
		}, 1000);
		video.requestVideoFrameCallback(onFrame);
	});
}

await bench('live latency glass to glass: HLS (baseline MSE, WebRTC) in Chromium', async () => {
	const camera = await startFakeCamera({ stamp: true });
	const server = await startServer();
	const id = await server.createCamera('latency', camera.url);
	const status = await server.waitOnline(id, 3000);
	console.log(`camera: ${status.codec} ${status.width}x${status.height}, ${Math.round(status.bitrate / 1000)} kbit/s, keepalive, 1 s GOP, wall clock in the picture`);
	const browser = await launchChromium();
	const src = `${server.ws}/api/proxy/ws?id=${id}&token=${server.token}`;

	const rows = [];
	for (const label of MODES) {
		const { context, page } = await playerPage(browser, server.base);
		const mode = label.startsWith('hls') ? 'hls' : label;
		const r = await page.evaluate(measure, { mode, src, seconds: SECONDS, settle: SETTLE_S, hideNativeHls: label === 'hls.js' });
		await context.close();
		if (r.activeMode !== mode) throw new Error(`${label}: played as '${r.activeMode}'`);
		if (!r.latencies.length) throw new Error(`${label}: no readable frame (${r.unreadable} unreadable)`);
		const s = summary(r.latencies);
		const median = s.median;
		rows.push({
			player: label,
			frames: `${r.latencies.length}${r.unreadable ? ` (+${r.unreadable} unreadable)` : ''}`,
			'min s': s.min.toFixed(3),
			'median s': median.toFixed(3),
			'p90 s': s.p90.toFixed(3),
			'max s': s.max.toFixed(3),
			'stats.latency median s': r.estimates.length ? summary(r.estimates).median.toFixed(3) : '—',
			target: mode === 'hls' ? verdict(median, TARGET_S, ' s') : 'baseline'
		});
		console.log(`${label}: first frame ${Math.round(r.firstFrameMs)} ms, ${r.latencies.length} frames in ${SECONDS} s, median ${median.toFixed(3)} s behind the camera`);
	}
	console.log();
	table(rows);
	console.log(`\nTarget: HLS median ≤ ${TARGET_S} s behind live (glass to glass, sampled ${SECONDS} s after ${SETTLE_S} s of play).`);
});

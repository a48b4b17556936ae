// Time from opening the app to the first live frame, in Chromium: a signed-in
// user navigates to a camera's live view (or a kiosk wall of it), and the clock
// runs from the navigation's start (performance.timeOrigin) to the first frame
// the page's <video-stream> presents. The camera is already streaming
// (keepalive, online, keyframe cached), as when someone opens a camera others watch.
//   first visit   a fresh browser profile: nothing cached, no service worker
//   installed     the same profile every run: the service worker is active and the
//                 app shell precached (an installed PWA opened again)
//   node bench/app-open.mjs          RUNS=10
import { bench, median, summary, table, until } from './lib/run.mjs';
import { ADMIN_PASSWORD, startServer } from './lib/server.mjs';
import { startFakeCamera } from './lib/camera.mjs';
import { launchChromium } from './lib/browser.mjs';

const RUNS = Number(process.env.RUNS ?? 10);
const LIMIT_MS = 20_000;

// In every page: when the first <video-stream> is upgraded (its shadow video exists: it
// starts connecting), when its video presents a first frame, and the mode that plays.
const WATCH_FIRST_FRAME = () => {
	const watch = () => {
		const player = document.querySelector('video-stream');
		const video = player?.shadowRoot?.querySelector('video');
		if (!video) return requestAnimationFrame(watch);
		const upgraded = performance.now();
		video.requestVideoFrameCallback(() => (window.__firstFrame = { ms: performance.now(), upgraded, mode: player.activeMode }));
	};
	requestAnimationFrame(watch);
};

async function open(context, url) {
	const page = await context.newPage();
	try {
		await page.goto(url, { waitUntil: 'commit' });
		const handle = await page.waitForFunction(() => window.__firstFrame, null, { timeout: LIMIT_MS, polling: 50 });
		return await handle.jsonValue();
	} catch (e) {
		return { error: e.message.split('\n')[0] };
	} finally {
		await page.close();
	}
}

await bench('time from opening the app to the first live frame (Chromium)', async () => {
	const camera = await startFakeCamera();
	const server = await startServer();
	const id = await server.createCamera('app_open', camera.url);
	const status = await server.waitOnline(id, 4000);
	console.log(`camera: ${status.codec} ${status.width}x${status.height} ${status.fps} fps, keepalive, 1 s GOP`);
	const browser = await launchChromium();

	// A signed-in profile: the session cookie, reused by every context.
	const login = await browser.newContext();
	const page = await login.newPage();
	await page.goto(`${server.base}/login`, { waitUntil: 'networkidle' });
	await page.fill('input[name=username]', 'admin');
	await page.fill('input[name=password]', ADMIN_PASSWORD);
	await Promise.all([page.waitForURL(`${server.base}/`), page.click('button[type=submit]')]);
	const storageState = await login.storageState();
	await login.close();

	const installed = await browser.newContext({ storageState });
	await installed.addInitScript(WATCH_FIRST_FRAME);
	const warm = await installed.newPage();
	await warm.goto(`${server.base}/`);
	await until(() => warm.evaluate(() => navigator.serviceWorker.controller !== null), 20_000, 'the service worker to control the page');
	await warm.close();

	const rows = [];
	const measure = async (label, url, context) => {
		const times = [];
		const upgrades = [];
		const modes = new Set();
		const errors = new Set();
		process.stdout.write(`${label}:`);
		for (let run = 0; run < RUNS; run++) {
			let ctx = context;
			if (!ctx) {
				ctx = await browser.newContext({ storageState });
				await ctx.addInitScript(WATCH_FIRST_FRAME);
			}
			const r = await open(ctx, `${server.base}${url}`);
			if (!context) await ctx.close();
			if (r.error) errors.add(r.error);
			else times.push(r.ms), upgrades.push(r.upgraded), modes.add(r.mode);
			process.stdout.write(` ${r.error ? 'x' : Math.round(r.ms)}`);
			await server.waitNoViewer(id, undefined, 60_000).catch(() => {});
		}
		console.log();
		for (const e of errors) console.log(`  failed run: ${e}`);
		const s = times.length ? summary(times) : null;
		const ms = (v) => (s ? Math.round(v) : '');
		rows.push({
			row: label,
			ok: `${times.length}/${RUNS}`,
			mode: [...modes].join(','),
			'player up, median ms': ms(s && median(upgrades)),
			'first frame: min ms': ms(s?.min),
			'median ms': ms(s?.median),
			'p90 ms': ms(s?.p90)
		});
	};
	await measure('live view, first visit', `/cameras/${id}`);
	await measure('live view, installed', `/cameras/${id}`, installed);
	await measure('kiosk, installed', `/kiosk?cameras=${id}`, installed);
	console.log();
	table(rows);
});

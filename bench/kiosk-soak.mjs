// Memory of the kiosk page over a soak: a wall of live cameras (optionally touring)
// left running, the page's JS heap (after a forced GC), DOM nodes and event listeners
// sampled through the DevTools protocol, and the least-squares slope of the heap.
//   node bench/kiosk-soak.mjs        SOAK_MINUTES=60  SAMPLE_SECONDS=30  CAMERAS=4  CYCLE=0 (seconds; 0 = fixed wall)
//   SOAK_MINUTES=3 SAMPLE_SECONDS=10 node bench/kiosk-soak.mjs     # a quick check
import { bench, sleep, table, verdict } from './lib/run.mjs';
import { ADMIN_PASSWORD, startServer } from './lib/server.mjs';
import { launchChromium } from './lib/browser.mjs';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 60);
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 30);
const CAMERAS = Number(process.env.CAMERAS ?? 4);
const CYCLE = Number(process.env.CYCLE ?? 0);
// A flat page grows less than this over an hour once warm (the target of the kiosk issue: "memory stays flat").
const TARGET_MB_PER_HOUR = 5;

/** Least-squares slope of y over x. */
function slope(xs, ys) {
	const n = xs.length;
	const mx = xs.reduce((a, b) => a + b, 0) / n;
	const my = ys.reduce((a, b) => a + b, 0) / n;
	let num = 0;
	let den = 0;
	for (let i = 0; i < n; i++) (num += (xs[i] - mx) * (ys[i] - my)), (den += (xs[i] - mx) ** 2);
	return den ? num / den : 0;
}

await bench(`kiosk soak: ${CAMERAS} cameras, ${MINUTES} min, cycle ${CYCLE || 'off'}`, async () => {
	const server = await startServer({ TILE_URL: '' });
	const ids = [];
	for (let i = 0; i < CAMERAS; i++) ids.push(await server.createCamera(`soak_${i}`, 'demo://testpattern'));

	const browser = await launchChromium();
	const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
	const page = await context.newPage();
	await page.goto(`${server.base}/login`, { waitUntil: 'networkidle' });
	await page.fill('input[name=username]', 'admin');
	await page.fill('input[name=password]', ADMIN_PASSWORD);
	await Promise.all([page.waitForURL(`${server.base}/`), page.click('button[type=submit]')]);
	await page.goto(`${server.base}/kiosk?cameras=${ids.join(',')}${CYCLE ? `&cycle=${CYCLE}&size=1` : ''}`);

	const cdp = await context.newCDPSession(page);
	await cdp.send('Performance.enable');
	const sample = async () => {
		await cdp.send('HeapProfiler.collectGarbage');
		const { metrics } = await cdp.send('Performance.getMetrics');
		const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
		const playing = await page.evaluate(() => [...document.querySelectorAll('video-stream')].filter((v) => v.state === 'playing').length);
		return { heapMB: m.JSHeapUsedSize / 2 ** 20, nodes: m.Nodes, listeners: m.JSEventListeners, playing };
	};

	await sleep(15_000); // warm-up: players connected, caches filled
	const start = Date.now();
	const rows = [];
	while (Date.now() - start < MINUTES * 60_000) {
		const s = await sample();
		const minutes = (Date.now() - start) / 60_000;
		rows.push({ minutes, ...s });
		console.log(`  ${minutes.toFixed(1).padStart(6)} min  heap ${s.heapMB.toFixed(2)} MB  nodes ${s.nodes}  listeners ${s.listeners}  playing ${s.playing}/${Math.min(ids.length, CYCLE ? 1 : 16)}`);
		await sleep(SAMPLE_SECONDS * 1000);
	}
	const perHour = slope(rows.map((r) => r.minutes / 60), rows.map((r) => r.heapMB));
	const nodesPerHour = slope(rows.map((r) => r.minutes / 60), rows.map((r) => r.nodes));
	console.log();
	table([
		{
			samples: rows.length,
			'heap first (MB)': rows[0].heapMB.toFixed(2),
			'heap last (MB)': rows.at(-1).heapMB.toFixed(2),
			'heap slope (MB/h)': perHour.toFixed(3),
			'DOM nodes slope (/h)': nodesPerHour.toFixed(1),
			verdict: verdict(perHour, TARGET_MB_PER_HOUR, ' MB/h')
		}
	]);
	console.log(`slope: ${perHour.toFixed(3)} MB/hour`);
});

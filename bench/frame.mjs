// GET /api/proxy/frame with the keyframe already cached (keepalive camera online):
// time per request measured client-side on loopback (request sent → whole body
// read), beside GET /api/health in the same run as the floor (HTTP + routing, no
// media). Requests alternate between the two so both see the same machine load.
// Each frame response must be a valid MP4: 200, video/mp4, non-empty, starting
// with an ftyp box; one of them is also decoded with ffprobe.
//   node bench/frame.mjs          REQUESTS=50
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bench, onCleanup, summary, table, verdict } from './lib/run.mjs';
import { startServer } from './lib/server.mjs';
import { startFakeCamera } from './lib/camera.mjs';

const REQUESTS = Number(process.env.REQUESTS ?? 50);
const WARMUP = 5;
const TARGET_MS = 50;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
onCleanup(() => agent.destroy());

/** One GET over the kept-alive connection: {ms to headers, ms to last byte, status, headers, body}. */
function get(url) {
	return new Promise((resolve, reject) => {
		const t0 = process.hrtime.bigint();
		const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
		const req = http.get(url, { agent }, (res) => {
			const firstByte = ms();
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ firstByte, total: ms(), status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
			res.on('error', reject);
		});
		req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)));
		req.on('error', reject);
	});
}

/** Why a /api/proxy/frame response is not a one-keyframe MP4, or '' when it is. */
function invalid(r) {
	if (r.status !== 200) return `status ${r.status}: ${r.body.toString().slice(0, 200)}`;
	if (r.headers['content-type'] !== 'video/mp4') return `content-type ${r.headers['content-type']}`;
	if (r.body.length < 8) return `${r.body.length} bytes`;
	if (r.body.toString('latin1', 4, 8) !== 'ftyp') return `starts with ${r.body.toString('latin1', 4, 8)}, not ftyp`;
	return '';
}

await bench('GET /api/proxy/frame (cached keyframe)', async () => {
	const camera = await startFakeCamera();
	const server = await startServer();
	const id = await server.createCamera('frame', camera.url);
	const status = await server.waitOnline(id, 3000);
	console.log(`camera: ${status.codec} ${status.width}x${status.height}, ${Math.round(status.bitrate / 1000)} kbit/s, keepalive, 1 s GOP`);

	const frameUrl = `${server.base}/api/proxy/frame?id=${id}&token=${server.token}`;
	const healthUrl = `${server.base}/api/health`;
	const frame = [];
	const health = [];
	const bad = [];
	let sizes = 0;
	let sample;
	for (let i = 0; i < WARMUP + REQUESTS; i++) {
		const h = await get(healthUrl);
		const f = await get(frameUrl);
		const why = invalid(f);
		if (why) bad.push(why);
		if (h.status !== 200) throw new Error(`/api/health: ${h.status}`);
		if (i < WARMUP) continue;
		health.push(h);
		frame.push(f);
		sizes += f.body.length;
		sample = f.body;
	}
	if (bad.length) throw new Error(`${bad.length} invalid frame responses, e.g. ${bad[0]}`);

	// One response through ffprobe: one 1280x720 H.264 frame.
	const dir = mkdtempSync(path.join(tmpdir(), 'vantage-bench-frame-'));
	onCleanup(() => rmSync(dir, { recursive: true, force: true }));
	writeFileSync(path.join(dir, 'frame.mp4'), sample);
	const probe = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'csv=p=0', path.join(dir, 'frame.mp4')]).toString().trim();
	console.log(`responses: ${REQUESTS}/${REQUESTS} valid MP4 (ftyp first), ${Math.round(sizes / REQUESTS / 1024)} KiB average; ffprobe of one: ${probe} (codec,width,height,frames)`);

	const row = (name, list, key) => {
		const s = summary(list.map((r) => r[key]));
		return { request: name, measured: key === 'total' ? 'to last byte' : 'to headers', 'min ms': s.min.toFixed(2), 'median ms': s.median.toFixed(2), 'p90 ms': s.p90.toFixed(2), 'max ms': s.max.toFixed(2) };
	};
	console.log();
	table([row('GET /api/health (floor)', health, 'total'), row('GET /api/proxy/frame', frame, 'firstByte'), row('GET /api/proxy/frame', frame, 'total')]);
	const f = summary(frame.map((r) => r.total));
	const h = summary(health.map((r) => r.total));
	console.log(`\nframe median ${f.median.toFixed(2)} ms, p90 ${f.p90.toFixed(2)} ms: ${verdict(f.median, TARGET_MS, ' ms')}`);
	console.log(`above the /api/health floor: median +${(f.median - h.median).toFixed(2)} ms, p90 +${(f.p90 - h.p90).toFixed(2)} ms (what serving the cached keyframe adds)`);
});

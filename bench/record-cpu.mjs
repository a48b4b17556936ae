// Recorder CPU per camera, and what a kill -9 loses.
//
// CPU: N fake RTSP cameras (720p30 H.264, 2 Mbit/s, 1 s GOP), one keepalive
// camera each (ingest running, no viewer). The server's CPU time (utime + stime
// from /proc/<pid>/stat: node, which writes the segments, and its ffmpeg ingest
// children) over WINDOW seconds is measured without recording, then with every
// camera recording continuously (RECORD_SEGMENT_SEC=10, so rollovers are in the
// window); the recorder's cost is the difference. % of one core per camera,
// for N=1 and N=4 (2 cores here).
//
// Loss on kill -9: a camera records, the server is killed with SIGKILL at a
// random moment KILLS times and restarted on the same data; the loss is the
// kill time minus the end of the repaired last segment in the index (what
// ingest had handed to the recorder and did not reach the file; the camera →
// ingest latency is not in it).
//   node bench/record-cpu.mjs          WINDOW=20  COUNTS=1,4  KILLS=5
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bench, cpuOver, ffmpegChildren, sleep, sum, summary, table, until } from './lib/run.mjs';
import { startServer } from './lib/server.mjs';
import { startFakeCamera } from './lib/camera.mjs';

const WINDOW = Number(process.env.WINDOW ?? 20);
const COUNTS = (process.env.COUNTS ?? '1,4').split(',').map(Number);
const KILLS = Number(process.env.KILLS ?? 5);
const WARMUP_MS = 3000;

const serverPids = (server) => [server.pid, ...ffmpegChildren(server.pid).map((p) => p.pid)];

async function cpu(cameras) {
	const server = await startServer({ RECORD_SEGMENT_SEC: '10', RECORD_MIN_FREE_MB: '1' });
	const rows = [];
	for (const n of COUNTS) {
		const ids = [];
		for (const [i, c] of cameras.slice(0, n).entries()) ids.push(await server.createCamera(`rec-${n}-${i}`, c.url));
		for (const id of ids) await server.waitOnline(id, WARMUP_MS);
		const ingestOnly = sum(await cpuOver(serverPids(server), WINDOW));
		for (const id of ids) await server.api(`/api/cameras/${id}`, { method: 'PATCH', token: server.token, body: { recordMode: 'continuous' } });
		await sleep(WARMUP_MS);
		const recording = sum(await cpuOver(serverPids(server), WINDOW));
		let bytes = 0;
		for (const id of ids) {
			const { segments } = await server.api(`/api/cameras/${id}/recordings`, { token: server.token });
			bytes += segments.reduce((s, x) => s + x.size, 0);
		}
		console.log(`${n} camera(s): server ${ingestOnly.toFixed(2)} % without recording, ${recording.toFixed(2)} % recording; ${(bytes / 1e6).toFixed(1)} MB written`);
		rows.push({ cameras: n, 'ingest only': (ingestOnly / n).toFixed(2), recording: (recording / n).toFixed(2), 'recorder (difference)': (Math.max(0, recording - ingestOnly) / n).toFixed(2) });
		for (const id of ids) await server.api(`/api/cameras/${id}`, { method: 'DELETE', token: server.token });
		await until(async () => serverPids(server).length === 1, 10_000, 'the ingest processes to stop');
	}
	await server.stop();
	console.log(`\n% of one core per camera (server node + its ffmpeg ingest, utime+stime over ${WINDOW} s):`);
	table(rows);
}

async function killLoss(camera) {
	const dataDir = mkdtempSync(path.join(tmpdir(), 'vantage-bench-kill-'));
	try {
		const env = { DATA_DIR: dataDir, RECORD_MIN_FREE_MB: '1' };
		let server = await startServer(env);
		const id = (await server.api('/api/cameras', { method: 'POST', token: server.token, body: { name: 'crash', source: camera.url, recordMode: 'continuous', segmentSec: 60 } })).id;
		const losses = [];
		for (let i = 0; i < KILLS; i++) {
			await until(async () => (await server.api(`/api/cameras/${id}/recordings`, { token: server.token })).segments.some((s) => s.open && s.durationMs > 0), 20_000, 'recording');
			await sleep(2000 + Math.random() * 4000);
			const killedAt = Date.now();
			process.kill(server.pid, 'SIGKILL');
			await sleep(300);
			await server.stop(); // its leftovers (ffmpeg, janus), by pid
			server = await startServer(env);
			const { segments } = await server.api(`/api/cameras/${id}/recordings`, { token: server.token });
			const last = segments.filter((s) => !s.open && Date.parse(s.start) < killedAt).pop();
			if (!last) throw new Error('no repaired segment');
			losses.push(killedAt - Date.parse(last.end));
			console.log(`kill ${i + 1}: ${losses[i]} ms lost (repaired segment of ${(last.durationMs / 1000).toFixed(1)} s)`);
		}
		await server.stop();
		const s = summary(losses);
		console.log(`\nloss on kill -9 (ms, kill time − end of the repaired file; negative: within the clock estimate):`);
		table([{ kills: s.n, min: s.min, median: s.median, p90: s.p90, max: s.max }]);
	} finally {
		rmSync(dataDir, { recursive: true, force: true });
	}
}

await bench('recorder CPU per camera, and loss on kill -9', async () => {
	const cameras = [];
	for (let i = 0; i < Math.max(...COUNTS); i++) cameras.push(await startFakeCamera());
	await cpu(cameras);
	await killLoss(cameras[0]);
});

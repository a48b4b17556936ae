// Ingest CPU per camera: N fake RTSP cameras (720p30 H.264, 2 Mbit/s, 1 s GOP),
// one keepalive camera each on the server, no viewer. CPU time (utime + stime from
// /proc/<pid>/stat) over WINDOW seconds of
//   - the server's ffmpeg ingest processes (its children named ffmpeg),
//   - the node server process itself, less its idle CPU (measured first, no cameras),
// beside the baseline in the same run, measured before the server ingests:
//   - a bare `ffmpeg -rtsp_transport tcp -i <url> -c copy -f null -` per camera
//     (the cost of pulling alone).
// Figures are % of one core per camera, for N=1 and N=4 (the machine has 2 cores).
//   node bench/ingest-cpu.mjs          WINDOW=20  COUNTS=1,4
import { bench, cpuOver, descendants, ffmpegChildren, sleep, sum, table, until } from './lib/run.mjs';
import { startServer } from './lib/server.mjs';
import { startBarePuller, startFakeCamera } from './lib/camera.mjs';

const WINDOW = Number(process.env.WINDOW ?? 20);
const COUNTS = (process.env.COUNTS ?? '1,4').split(',').map(Number);
const WARMUP_MS = 3000;


await bench('ingest CPU per camera', async () => {
	const cameras = [];
	for (let i = 0; i < Math.max(...COUNTS); i++) cameras.push(await startFakeCamera());

	// Baseline first, with no server: one bare puller per camera.
	const bare = {};
	for (const n of COUNTS) {
		const pullers = cameras.slice(0, n).map((c) => startBarePuller(c.url));
		await sleep(WARMUP_MS);
		for (const p of pullers) if (p.child.exitCode !== null) throw new Error(`bare ffmpeg exited: ${p.child.log}`);
		bare[n] = sum(await cpuOver(pullers.map((p) => p.pid), WINDOW));
		for (const p of pullers) await p.stop();
		console.log(`bare pull, ${n} camera(s): ${bare[n].toFixed(2)} % of a core in all`);
	}

	const server = await startServer();
	await sleep(WARMUP_MS);
	const [idle] = await cpuOver([server.pid], WINDOW);
	console.log(`server idle (no camera): node ${idle.toFixed(2)} % of a core`);

	const rows = [];
	for (const n of COUNTS) {
		const ids = [];
		for (const [i, c] of cameras.slice(0, n).entries()) ids.push(await server.createCamera(`cpu-${n}-${i}`, c.url));
		for (const id of ids) await server.waitOnline(id, 0);
		await sleep(WARMUP_MS);
		const ingest = ffmpegChildren(server.pid);
		if (ingest.length !== n) throw new Error(`expected ${n} ffmpeg ingest processes, found ${ingest.length}`);
		const janus = descendants(server.pid).filter((p) => p.comm === 'janus' && p.ppid === server.pid);
		const [node, ...rest] = await cpuOver([server.pid, ...ingest.map((p) => p.pid), ...janus.map((p) => p.pid)], WINDOW);
		const ffmpeg = sum(rest.slice(0, n));
		const statuses = await Promise.all(ids.map((id) => server.status(id)));
		console.log(
			`server, ${n} camera(s): ffmpeg ${ffmpeg.toFixed(2)} %, node ${node.toFixed(2)} %, janus ${sum(rest.slice(n)).toFixed(2)} %; ` +
				statuses.map((s) => `${s.state} ${s.fps} fps ${Math.round(s.bitrate / 1000)} kbit/s`).join(', ')
		);
		const nodeAdded = Math.max(0, node - idle);
		rows.push({
			cameras: n,
			'bare ffmpeg pull': (bare[n] / n).toFixed(2),
			'ingest ffmpeg': (ffmpeg / n).toFixed(2),
			'ingest vs bare': `${(ffmpeg / bare[n]).toFixed(2)}x`,
			'node (above idle)': (nodeAdded / n).toFixed(2),
			'ingest total (ffmpeg + node)': ((ffmpeg + nodeAdded) / n).toFixed(2)
		});
		for (const id of ids) await server.api(`/api/cameras/${id}`, { method: 'DELETE', token: server.token });
		await until(async () => ffmpegChildren(server.pid).length === 0, 10_000, 'the ingest processes to stop');
	}
	console.log(`\n% of one core per camera (utime+stime over ${WINDOW} s; node idle ${idle.toFixed(2)} % subtracted):`);
	table(rows);
});

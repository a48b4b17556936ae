// Shared by ttff, frame, hls-latency and ingest-cpu: cleanup that runs on success, error and Ctrl-C,
// processes ended by pid (with their descendants), figures and tables.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';

const cleanups = [];
/** Registers fn to run at the end (last registered runs first). */
export const onCleanup = (fn) => cleanups.push(fn);

async function cleanup() {
	while (cleanups.length) {
		try {
			await cleanups.pop()();
		} catch (e) {
			console.error(`cleanup: ${e.message}`);
		}
	}
}

/** Runs a bench's main function; cleans up however it ends and sets the exit code. */
export async function bench(title, main) {
	let stopping = false;
	const stop = async (signal) => {
		if (stopping) process.exit(130); // a second Ctrl-C: leave now
		stopping = true;
		console.error(`\n${signal}: cleaning up`);
		await cleanup();
		process.exit(130);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
	const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
	console.log(`# ${title}  (${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores, load average ${load()})`);
	try {
		await main();
	} catch (e) {
		if (!stopping) console.error(`\nFAILED: ${e.stack ?? e}`); // else: what the interrupted step threw
		process.exitCode = 1;
	} finally {
		if (!stopping) await cleanup();
	}
	console.log(`(load average at the end: ${load()}; other work on the machine skews timings)`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns something truthy; throws after timeoutMs. */
export async function until(fn, timeoutMs, what) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn().catch(() => undefined);
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(100);
	}
}

export async function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

// ---- processes, from /proc ---------------------------------------------------------

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, …]; undefined once gone. */
function statFields(pid) {
	try {
		const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return text.slice(text.lastIndexOf(')') + 2).split(' ');
	} catch {
		return undefined;
	}
}

/** CPU time (utime + stime) of one process, in clock ticks (USER_HZ = 100 on Linux). */
export function cpuTicks(pid) {
	const f = statFields(pid);
	return f ? Number(f[11]) + Number(f[12]) : undefined;
}
export const TICKS_PER_SECOND = 100;

export const sum = (values) => values.reduce((a, b) => a + b, 0);

/** % of one core each pid used over `seconds`; throws if one of them ends meanwhile. */
export async function cpuOver(pids, seconds) {
	const before = pids.map(cpuTicks);
	const t0 = process.hrtime.bigint();
	await sleep(seconds * 1000);
	const after = pids.map(cpuTicks);
	const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
	return pids.map((pid, i) => {
		if (before[i] === undefined || after[i] === undefined) throw new Error(`process ${pid} ended during the measurement`);
		return ((after[i] - before[i]) / TICKS_PER_SECOND / elapsed) * 100;
	});
}

/** Identity of a process: its start time, so a reused pid is never taken for it. */
const startTime = (pid) => statFields(pid)?.[19];

/** The ffmpeg processes pid started itself (a server's ingest, say). */
export const ffmpegChildren = (pid) => descendants(pid).filter((p) => p.comm === 'ffmpeg' && p.ppid === pid);

/** Descendants of pid: [{pid, ppid, comm, start}], children before grandchildren. */
export function descendants(pid) {
	const all = [];
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		const f = statFields(name);
		if (!f) continue;
		let comm = '';
		try {
			comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
		} catch {}
		all.push({ pid: Number(name), ppid: Number(f[1]), comm, start: f[19] });
	}
	const out = [];
	const queue = [pid];
	while (queue.length) {
		const parent = queue.shift();
		for (const p of all.filter((p) => p.ppid === parent)) (out.push(p), queue.push(p.pid));
	}
	return out;
}

/** Ends a child process and whatever it started: SIGTERM, then SIGKILL after graceMs; leftovers by pid. */
export async function endTree(child, graceMs = 5000) {
	if (!child?.pid) return;
	const family = descendants(child.pid);
	if (child.exitCode === null && child.signalCode === null) {
		const exited = new Promise((r) => child.once('exit', r));
		child.kill('SIGTERM');
		await Promise.race([exited, sleep(graceMs)]);
		if (child.exitCode === null && child.signalCode === null) (child.kill('SIGKILL'), await exited);
	}
	await sleep(200);
	for (const p of family) {
		try {
			if (startTime(p.pid) === p.start) process.kill(p.pid, 'SIGKILL');
		} catch {}
	}
}

/** Spawns a child that is ended (with its descendants) at cleanup; output is kept for error messages. */
export function spawnTracked(cmd, args, opts = {}) {
	const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
	child.log = '';
	const keep = (d) => (child.log = (child.log + d).slice(-20_000));
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	onCleanup(() => endTree(child));
	return child;
}

// ---- figures -----------------------------------------------------------------------

/** Nearest-rank percentile (p in 0..100) of numbers. */
export function percentile(values, p) {
	const sorted = [...values].sort((a, b) => a - b);
	if (!sorted.length) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export const median = (values) => percentile(values, 50);
export const summary = (values) => ({ n: values.length, min: Math.min(...values), median: median(values), p90: percentile(values, 90), max: Math.max(...values) });

/** Prints rows (objects) as an aligned table. */
export function table(rows) {
	if (!rows.length) return;
	const keys = Object.keys(rows[0]);
	const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k] ?? '')))];
	const widths = keys.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
	for (const c of cells) console.log(c.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd());
}

/** 'PASS'/'FAIL' against a ceiling, or '—' without one. */
export const verdict = (value, target, unit = '') => (target === undefined ? '—' : value <= target ? `PASS (≤ ${target}${unit})` : `FAIL (> ${target}${unit})`);

// Child processes of the bench (each in its own process group, all ended on
// exit, error or signal) and CPU accounting of process trees from /proc.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const CLK_TCK = 100; // getconf CLK_TCK on Linux/x86-64
const children = new Set();

/**
 * Spawn a child in a process group of its own (detached), so that ending the
 * group also ends what it spawned (Vantage's janus and ffmpeg). Output is
 * kept (last 64 KiB) for error messages; `rawStdout`: stdout is the caller's.
 * (The test stimulus, encoder and RTSP camera, runs at nice -10: when the 2
 * cores are saturated the system under test starves, not the stream it gets.)
 */
export function startChild(name, cmd, args, opts = {}) {
	// `nice`: run it at that niceness (negative needs root; otherwise nice warns and runs it at 0).
	if (opts.nice) [cmd, args] = ['/usr/bin/nice', ['-n', String(opts.nice), cmd, ...args]];
	const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
	let out = '';
	const keep = (d) => {
		out = (out + d).slice(-65536);
		opts.onOutput?.(d.toString());
	};
	if (!opts.rawStdout) child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	child.on('error', (e) => (out += `\n[spawn error] ${e.message}`));
	const entry = { name, child, output: () => out };
	children.add(entry);
	child.once('exit', () => children.delete(entry));
	return entry;
}

/** End one child's process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(entry, graceMs = 3000) {
	const { child } = entry;
	if (child.exitCode !== null || child.signalCode !== null) {
		killGroup(child.pid, 'SIGKILL'); // whatever it left behind in its group
		return;
	}
	const gone = new Promise((r) => child.once('exit', r));
	killGroup(child.pid, 'SIGTERM');
	const t = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
	await Promise.race([gone, new Promise((r) => setTimeout(r, graceMs + 1000))]);
	clearTimeout(t);
	killGroup(child.pid, 'SIGKILL');
}

function killGroup(pid, signal) {
	if (!pid) return;
	try {
		process.kill(-pid, signal);
	} catch {
		try {
			process.kill(pid, signal);
		} catch {
			/* gone */
		}
	}
}

/** Synchronous last resort (process 'exit'): SIGKILL every group we started. */
export function killAllNow() {
	for (const { child } of children) killGroup(child.pid, 'SIGKILL');
}

export async function stopAll() {
	await Promise.all([...children].map((c) => stopChild(c)));
}

export { freePort } from '../lib/run.mjs';

/** A free UDP port pair base (even), checked by binding. */
export async function freeUdpPort() {
	const dgram = await import('node:dgram');
	for (let i = 0; i < 50; i++) {
		const port = 41000 + 2 * Math.floor(Math.random() * 5000);
		const ok = await new Promise((resolve) => {
			const s = dgram.createSocket('udp4');
			s.once('error', () => resolve(false));
			s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
		});
		if (ok) return port;
	}
	throw new Error('no free UDP port');
}

// ---- /proc ----

function statOf(pid) {
	try {
		const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const close = s.lastIndexOf(')');
		const comm = s.slice(s.indexOf('(') + 1, close);
		const f = s.slice(close + 2).split(' ');
		// f[0] = state (field 3); utime = field 14, stime = field 15, ppid = field 4
		return { pid, comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
	} catch {
		return null;
	}
}

/** pid and every descendant, with their comm and CPU ticks. */
export function treeOf(rootPid) {
	const all = [];
	for (const d of readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		const st = statOf(Number(d));
		if (st) all.push(st);
	}
	const byParent = new Map();
	for (const p of all) {
		if (!byParent.has(p.ppid)) byParent.set(p.ppid, []);
		byParent.get(p.ppid).push(p);
	}
	const out = [];
	const root = all.find((p) => p.pid === rootPid);
	if (!root) return out;
	const stack = [root];
	while (stack.length) {
		const p = stack.pop();
		out.push(p);
		stack.push(...(byParent.get(p.pid) ?? []));
	}
	return out;
}

/** Whole-machine busy/total jiffies (for how loaded the 2 cores were). */
export function machineTicks() {
	const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
	const v = line.trim().split(/\s+/).slice(1).map(Number);
	const idle = v[3] + (v[4] || 0);
	const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
	return { busy: total - idle, total };
}

/** Kernel UDP counters (system-wide): receive-buffer drops show a client that fell behind. */
export function udpCounters() {
	const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
	const keys = lines[0].split(/\s+/).slice(1);
	const vals = lines[1].split(/\s+/).slice(1).map(Number);
	return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
}

/**
 * A CPU window over named groups of processes. `groups` maps a name to a
 * function (tree entries → boolean) or to a root pid whose whole tree counts.
 * Returns per group the % of one core used between begin() and end().
 */
export class CpuWindow {
	constructor(groups) {
		this.groups = groups; // name -> () => pid[]
	}
	snapshot() {
		const snap = {};
		for (const [name, pidsFn] of Object.entries(this.groups)) {
			const m = new Map();
			for (const pid of pidsFn()) {
				const st = statOf(pid);
				if (st) m.set(pid, st.ticks);
			}
			snap[name] = m;
		}
		return { at: performance.now(), snap, self: process.cpuUsage(), machine: machineTicks(), udp: udpCounters() };
	}
	begin() {
		this.start = this.snapshot();
	}
	end() {
		const end = this.snapshot();
		const secs = (end.at - this.start.at) / 1000;
		const result = { seconds: secs, groups: {} };
		for (const name of Object.keys(this.groups)) {
			let ticks = 0;
			for (const [pid, t1] of end.snap[name]) {
				const t0 = this.start.snap[name].get(pid);
				ticks += t0 === undefined ? t1 : t1 - t0; // a process started inside the window: all of it
			}
			result.groups[name] = (ticks / CLK_TCK / secs) * 100;
		}
		const self = process.cpuUsage(this.start.self);
		result.bench = ((self.user + self.system) / 1e6 / secs) * 100;
		const m0 = this.start.machine;
		const m1 = end.machine;
		result.machineBusy = ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100; // % of all cores
		result.udp = {};
		for (const k of ['InDatagrams', 'OutDatagrams', 'InErrors', 'RcvbufErrors', 'SndbufErrors', 'NoPorts']) result.udp[k] = (end.udp[k] ?? 0) - (this.start.udp[k] ?? 0);
		return result;
	}
}

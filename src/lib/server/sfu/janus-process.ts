// Runs Janus (the SFU media plane) as a supervised child process with a
// private configuration generated under <dataDir>/janus/: only the Streaming
// plugin and the WebSockets transport on 127.0.0.1 are loaded. Restarts it
// after a crash with a backoff and emits 'ready' each time it answers again,
// so the owner re-creates its mountpoints.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

export const JANUS_LIB_DIR = '/usr/lib/x86_64-linux-gnu/janus';

export interface JanusProcessOptions {
	/** The folder for config, log and state: normally `<dataDir>/janus`. */
	dir: string;
	/** The janus binary (default /usr/bin/janus, or JANUS_BIN). */
	binary?: string;
	/** Where the plugins/ and transports/ folders are (default the Debian package's). */
	libDir?: string;
	/** UDP range for WebRTC (ICE) ports. */
	rtpPortRange?: string;
	/** UDP range the Streaming plugin picks mountpoint ports from. */
	mountpointPortRange?: string;
	/** Janus session timeout in seconds (clients send keepalives well inside it). */
	sessionTimeout?: number;
	/** Janus log level 0..7 (4 = info). */
	debugLevel?: number;
	/** Comma-separated interfaces/IPs for ICE gathering (nat.ice_enforce_list). */
	iceEnforceList?: string;
	/** Comma-separated interfaces/IPs to skip for ICE gathering (nat.ice_ignore_list). */
	iceIgnoreList?: string;
	/** Public IP(s) to advertise in host candidates behind a 1:1 NAT (nat.nat_1_1_mapping). */
	nat11?: string;
	/** "host:port" of a STUN server Janus uses to learn its public address (nat.stun_server). */
	stunServer?: string;
	log?: (msg: string) => void;
}

export interface JanusEndpoint {
	url: string;
	apiSecret: string;
	/** Increments on every (re)start: 1 on the first. */
	generation: number;
}

/**
 * Events: 'ready' (JanusEndpoint) after each successful start, 'exit'
 * ({code, signal}) when the process ends unexpectedly.
 */
export class JanusProcess extends EventEmitter {
	private child: ChildProcess | null = null;
	private stopping = false;
	private generation = 0;
	private restartTimer: NodeJS.Timeout | null = null;
	private failures = 0;
	private startedAt = 0;
	private endpoint: JanusEndpoint | null = null;
	private readonly apiSecret = randomBytes(18).toString('base64url');
	private readonly adminSecret = randomBytes(18).toString('base64url');
	private readonly log: (msg: string) => void;

	constructor(private readonly opts: JanusProcessOptions) {
		super();
		this.log = opts.log ?? (() => {});
	}

	get current(): JanusEndpoint | null {
		return this.endpoint;
	}

	get pid(): number | undefined {
		return this.child?.pid ?? undefined;
	}

	/** Start Janus and resolve once its WebSocket API answers `info`. */
	async start(): Promise<JanusEndpoint> {
		this.stopping = false;
		let lastError: unknown;
		for (let attempt = 0; attempt < 3; attempt++) {
			try {
				return await this.launch();
			} catch (e) {
				lastError = e;
				this.log(`janus: start attempt ${attempt + 1} failed: ${(e as Error).message}`);
				await this.kill();
			}
		}
		throw new Error(`janus did not start: ${(lastError as Error)?.message}`);
	}

	async stop(): Promise<void> {
		this.stopping = true;
		if (this.restartTimer) clearTimeout(this.restartTimer);
		this.restartTimer = null;
		await this.kill();
		this.endpoint = null;
	}

	private async launch(): Promise<JanusEndpoint> {
		const dir = this.opts.dir;
		mkdirSync(dir, { recursive: true, mode: 0o700 });
		killStale(dir, this.log);
		const port = await freeTcpPort();
		this.writeConfig(port);
		const logFile = path.join(dir, 'janus.log');
		if (existsSync(logFile)) renameSync(logFile, logFile + '.1');
		const binary = this.opts.binary ?? process.env.JANUS_BIN ?? '/usr/bin/janus';
		const args = ['-F', dir, '-C', path.join(dir, 'janus.jcfg'), '-o', '-N', '-L', logFile];
		// The kernel ends Janus when this process dies, even by SIGKILL (no orphaned Janus
		// holding ports); setpriv execs Janus, so the pid stays the same. SIGKILL: Janus
		// was seen to hang in its graceful shutdown after a SIGTERM and live on as an orphan.
		const child = existsSync(SETPRIV)
			? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', '--', binary, ...args], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir })
			: spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
		this.child = child;
		if (child.pid) writeFileSync(path.join(dir, 'janus.pid'), String(child.pid));
		activeChildren.add(child);
		child.once('exit', () => activeChildren.delete(child));
		let stderr = '';
		child.stderr?.on('data', (d: Buffer) => {
			stderr = (stderr + d.toString()).slice(-2000);
		});
		const exited = new Promise<never>((_, reject) => {
			child.once('error', (e) => reject(e));
			child.once('exit', (code, signal) => reject(new Error(`janus exited (${code ?? signal}) ${stderr.trim()}`)));
		});
		exited.catch(() => {});
		const url = `ws://127.0.0.1:${port}/`;
		await Promise.race([waitForInfo(url, this.apiSecret, 15_000), exited]);
		this.startedAt = Date.now();
		child.once('exit', (code, signal) => this.onExit(child, code, signal));
		this.generation++;
		this.endpoint = { url, apiSecret: this.apiSecret, generation: this.generation };
		this.log(`janus: ready on ${url} (pid ${child.pid}, generation ${this.generation})`);
		this.emit('ready', this.endpoint);
		return this.endpoint;
	}

	private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
		if (this.child !== child) return;
		this.child = null;
		this.endpoint = null;
		if (this.stopping) return;
		this.log(`janus: exited unexpectedly (${code ?? signal})`);
		this.emit('exit', { code, signal });
		// Back off 0.5 s, 1 s, 2 s … up to 30 s; a run of a minute resets it.
		if (Date.now() - this.startedAt > 60_000) this.failures = 0;
		const delay = Math.min(30_000, 500 * 2 ** this.failures++);
		this.scheduleRestart(delay);
	}

	private scheduleRestart(delay: number) {
		if (this.stopping || this.restartTimer) return;
		this.restartTimer = setTimeout(async () => {
			this.restartTimer = null;
			if (this.stopping) return;
			try {
				await this.launch();
			} catch (e) {
				this.log(`janus: restart failed: ${(e as Error).message}`);
				await this.kill();
				this.scheduleRestart(Math.min(30_000, 500 * 2 ** this.failures++));
			}
		}, delay);
		this.restartTimer.unref?.();
	}

	private async kill(): Promise<void> {
		const child = this.child;
		this.child = null;
		if (!child || child.exitCode !== null || child.signalCode !== null) return;
		const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
		await gone;
		clearTimeout(timer);
		rmSync(path.join(this.opts.dir, 'janus.pid'), { force: true });
	}

	private writeConfig(wsPort: number) {
		const dir = this.opts.dir;
		const lib = this.opts.libDir ?? JANUS_LIB_DIR;
		const others = (sub: string, keep: string | null) => {
			let names: string[] = [];
			try {
				names = readdirSync(path.join(lib, sub)).filter((f) => f.endsWith('.so') && f !== keep);
			} catch {
				// folder missing: nothing to disable
			}
			return names.join(',');
		};
		const q = (s: string) => JSON.stringify(s);
		const nat = [
			this.opts.iceEnforceList ? `\tice_enforce_list = ${q(this.opts.iceEnforceList)}` : null,
			`\tice_ignore_list = ${q(this.opts.iceIgnoreList ?? 'vmnet')}`,
			this.opts.nat11 ? `\tnat_1_1_mapping = ${q(this.opts.nat11)}` : null,
			...(this.opts.stunServer ? [`\tstun_server = ${q(this.opts.stunServer.replace(/:\d+$/, ''))}`, `\tstun_port = ${/:(\d+)$/.exec(this.opts.stunServer)?.[1] ?? '3478'}`] : []),
			// Browsers hide host IPs behind mDNS names Janus can't resolve on a server;
			// the browser's checks reach Janus anyway and are learnt as peer-reflexive.
			'\tignore_mdns = true',
			'\tfull_trickle = false',
			'\tice_lite = false',
			'\tice_tcp = false'
		].filter(Boolean);
		const janus = `# Generated by Vantage (src/lib/server/sfu/janus-process.ts); rewritten on every start.
general: {
	configs_folder = ${q(dir)}
	plugins_folder = ${q(path.join(lib, 'plugins'))}
	transports_folder = ${q(path.join(lib, 'transports'))}
	events_folder = ${q(path.join(lib, 'events'))}
	loggers_folder = ${q(path.join(lib, 'loggers'))}
	debug_level = ${this.opts.debugLevel ?? 4}
	debug_timestamps = true
	server_name = "vantage"
	session_timeout = ${this.opts.sessionTimeout ?? 60}
	candidates_timeout = 45
	# A fixed pool of media loops (one per core) instead of a thread per viewer.
	event_loops = ${availableParallelism()}
	api_secret = ${q(this.apiSecret)}
	admin_secret = ${q(this.adminSecret)}
}
certificates: {
}
media: {
	ipv6 = false
	rtp_port_range = ${q(this.opts.rtpPortRange ?? '20000-40000')}
	dtls_timeout = 500
	nack_optimizations = false
}
nat: {
${nat.join('\n')}
}
plugins: {
	disable = ${q(others('plugins', 'libjanus_streaming.so'))}
}
transports: {
	disable = ${q(others('transports', 'libjanus_websockets.so'))}
}
loggers: {
	disable = ${q(others('loggers', null))}
}
events: {
	broadcast = false
	disable = ${q(others('events', null))}
}
`;
		const ws = `general: {
	json = "plain"
	ws = true
	ws_port = ${wsPort}
	ws_ip = "127.0.0.1"
	wss = false
}
admin: {
	admin_ws = false
	admin_wss = false
}
`;
		const streaming = `general: {
	rtp_port_range = ${q(this.opts.mountpointPortRange ?? '10000-19999')}
	events = false
	string_ids = false
}
`;
		writeFileSync(path.join(dir, 'janus.jcfg'), janus, { mode: 0o600 });
		writeFileSync(path.join(dir, 'janus.transport.websockets.jcfg'), ws, { mode: 0o600 });
		writeFileSync(path.join(dir, 'janus.plugin.streaming.jcfg'), streaming, { mode: 0o600 });
	}
}

const SETPRIV = '/usr/bin/setpriv';

// Janus processes of this Node process: terminated on exit (also without stop()).
const activeChildren = new Set<ChildProcess>();
process.once('exit', () => {
	for (const c of activeChildren) c.kill('SIGKILL'); // no time to wait for a graceful end
});

/**
 * A Janus left running by an earlier run on the same folder (its pid file
 * names a live process whose command line uses this config folder): end it,
 * as it holds ports and mountpoints nobody feeds.
 */
function killStale(dir: string, log: (msg: string) => void) {
	const pidFile = path.join(dir, 'janus.pid');
	let pid: number;
	try {
		pid = parseInt(readFileSync(pidFile, 'utf8'), 10);
	} catch {
		return;
	}
	try {
		const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
		if (cmdline.some((a) => a.endsWith('janus')) && cmdline.includes(dir)) {
			log(`janus: ending stale janus ${pid} of an earlier run`);
			process.kill(pid, 'SIGKILL');
		}
	} catch {
		// not running any more
	}
	rmSync(pidFile, { force: true });
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freeTcpPort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.unref();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const addr = srv.address();
			srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
		});
	});
}

/** Poll a Janus WebSocket endpoint until it answers an `info` request. */
export async function waitForInfo(url: string, apiSecret: string | undefined, timeoutMs: number): Promise<Record<string, unknown>> {
	const deadline = Date.now() + timeoutMs;
	let last = '';
	while (Date.now() < deadline) {
		try {
			return await infoOnce(url, apiSecret, Math.min(2_000, deadline - Date.now()));
		} catch (e) {
			last = (e as Error).message;
			await new Promise((r) => setTimeout(r, 100));
		}
	}
	throw new Error(`no answer from ${url} within ${timeoutMs} ms (${last})`);
}

function infoOnce(url: string, apiSecret: string | undefined, timeoutMs: number): Promise<Record<string, unknown>> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, 'janus-protocol');
		const timer = setTimeout(() => {
			ws.terminate();
			reject(new Error('timeout'));
		}, timeoutMs);
		const done = (err: Error | null, v?: Record<string, unknown>) => {
			clearTimeout(timer);
			ws.removeAllListeners();
			ws.on('error', () => {});
			ws.close();
			if (err) reject(err);
			else resolve(v!);
		};
		ws.on('error', (e) => done(e));
		ws.on('open', () => ws.send(JSON.stringify({ janus: 'info', transaction: 'ready-check', ...(apiSecret ? { apisecret: apiSecret } : {}) })));
		ws.on('message', (data) => {
			const msg = JSON.parse(data.toString());
			if (msg.janus === 'server_info') done(null, msg);
			else done(new Error(`unexpected answer ${msg.janus}`));
		});
	});
}

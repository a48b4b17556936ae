// Side B: a bare Janus 1.1.2 started by the bench with a minimal private
// config (media.md's recipe), one RTP mountpoint (bufferkf inside media[]),
// and a tiny client for its JSON API over WebSocket.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { startChild } from './procs.mjs';

const LIB = '/usr/lib/x86_64-linux-gnu/janus';

function others(sub, keep) {
	try {
		return readdirSync(path.join(LIB, sub))
			.filter((f) => f.endsWith('.so') && f !== keep)
			.join(',');
	} catch {
		return '';
	}
}

/** Write the config and start `janus`; resolves once its WebSocket API answers. */
export async function startBareJanus(dir, wsPort, { eventLoops = 0 } = {}) {
	mkdirSync(dir, { recursive: true });
	const q = JSON.stringify;
	writeFileSync(
		path.join(dir, 'janus.jcfg'),
		`general: {
	configs_folder = ${q(dir)}
	plugins_folder = ${q(LIB + '/plugins')}
	transports_folder = ${q(LIB + '/transports')}
	events_folder = ${q(LIB + '/events')}
	loggers_folder = ${q(LIB + '/loggers')}
	debug_level = 4
	session_timeout = 60${eventLoops ? `\n\tevent_loops = ${eventLoops}` : ''}
	admin_secret = ${q(randomBytes(12).toString('hex'))}
}
media: {
	ipv6 = false
	rtp_port_range = "20000-40000"
}
nat: {
	ignore_mdns = true
	full_trickle = false
	ice_lite = false
	ice_tcp = false
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
`
	);
	writeFileSync(
		path.join(dir, 'janus.transport.websockets.jcfg'),
		`general: {
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
`
	);
	writeFileSync(path.join(dir, 'janus.plugin.streaming.jcfg'), 'general: {\n\tevents = false\n\tstring_ids = false\n}\n');
	const proc = startChild('janus (B)', '/usr/bin/janus', ['-F', dir, '-C', path.join(dir, 'janus.jcfg'), '-o', '-N', '-L', path.join(dir, 'janus.log')], { cwd: dir });
	const url = `ws://127.0.0.1:${wsPort}/`;
	const deadline = Date.now() + 15_000;
	for (;;) {
		if (proc.child.exitCode !== null) throw new Error(`janus exited: ${proc.output()}`);
		try {
			const c = await JanusConn.connect(url);
			return { proc, conn: c, url };
		} catch (e) {
			if (Date.now() > deadline) throw new Error(`janus did not answer on ${url}: ${e.message}`);
			await new Promise((r) => setTimeout(r, 150));
		}
	}
}

/** One WebSocket to Janus: transactions (ack, then event), one session with keepalives. */
export class JanusConn {
	static connect(url) {
		return new Promise((resolve, reject) => {
			const ws = new WebSocket(url, 'janus-protocol');
			ws.once('open', () => resolve(new JanusConn(ws)));
			ws.once('error', reject);
		});
	}
	constructor(ws) {
		this.ws = ws;
		this.pending = new Map();
		this.events = new Map(); // handle id -> cb(msg)
		ws.on('message', (d) => this.onMessage(JSON.parse(d.toString())));
		ws.on('error', () => {});
	}
	send(body, ackIsEnough = false, timeoutMs = 20_000) {
		const transaction = randomBytes(8).toString('hex');
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(transaction);
				reject(new Error(`janus ${body.janus} timed out`));
			}, timeoutMs);
			this.pending.set(transaction, { resolve, reject, ackIsEnough, timer });
			this.ws.send(JSON.stringify({ ...body, transaction }));
		});
	}
	onMessage(msg) {
		const p = msg.transaction && this.pending.get(msg.transaction);
		if (p) {
			if (msg.janus === 'ack' && !p.ackIsEnough) return;
			clearTimeout(p.timer);
			this.pending.delete(msg.transaction);
			const err = msg.janus === 'error' ? msg.error?.reason : msg.plugindata?.data?.error;
			if (err) p.reject(new Error(String(err)));
			else p.resolve(msg);
			return;
		}
		if (msg.sender) this.events.get(msg.sender)?.(msg);
	}
	async createSession() {
		const r = await this.send({ janus: 'create' });
		this.session = r.data.id;
		this.keepalive = setInterval(() => this.send({ janus: 'keepalive', session_id: this.session }, true).catch(() => {}), 20_000);
		return this.session;
	}
	async attach(plugin = 'janus.plugin.streaming') {
		const r = await this.send({ janus: 'attach', session_id: this.session, plugin });
		return r.data.id;
	}
	/** A plugin message; resolves with { data, jsep } of the answer (or of the event after the ack). */
	async message(handle, body, jsep) {
		const r = await this.send({ janus: 'message', session_id: this.session, handle_id: handle, body, ...(jsep ? { jsep } : {}) });
		return { data: r.plugindata?.data ?? {}, jsep: r.jsep };
	}
	detach(handle) {
		return this.send({ janus: 'detach', session_id: this.session, handle_id: handle }, false, 5000).catch(() => {});
	}
	close() {
		clearInterval(this.keepalive);
		try {
			this.ws.close();
		} catch {
			/* closed */
		}
	}
}

/** Create the RTP mountpoint (H.264, PT 96, keyframe buffer) on `port`. */
export async function createMountpoint(conn, id, port) {
	const handle = await conn.attach();
	const r = await conn.message(handle, {
		request: 'create',
		type: 'rtp',
		id,
		description: 'bench',
		is_private: true,
		permanent: false,
		media: [{ type: 'video', mid: 'v', label: 'video', port, pt: 96, codec: 'h264', fmtp: 'profile-level-id=42e01f;packetization-mode=1', bufferkf: true }]
	});
	return { handle, stream: r.data.stream };
}

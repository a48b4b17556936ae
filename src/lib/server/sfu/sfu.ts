// The WebRTC SFU: the only module that knows Janus. Cameras become Janus
// Streaming RTP mountpoints fed over UDP on 127.0.0.1; browsers watch them
// through an SDP bridge (media/sdp/bridge.ts) because Janus 1.1.2 can only
// offer while go2rtc's player protocol has the browser offer.
//
// Payload types: Janus relays RTP with the PT its mountpoint is configured
// with, and the browser answer must carry the PT the browser offered, so a
// camera has one mountpoint ("endpoint") per payload type, created on demand;
// the sink fans each RTP packet out to all of them (browsers of one version
// use one PT, so normally there is one). A new endpoint is primed with the
// last keyframe so Janus's keyframe buffer (`bufferkf`) serves its first
// viewer at once.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAvcC, h264ProfileOf, type AvcConfig } from '../media/h264/avcc';
import { parseHvcC, hevcFmtp, type HevcConfig } from '../media/h264/hvcc';
import { H264_NAL, h264NalType, h265IsIrap, h265NalType, splitLengthPrefixed } from '../media/h264/nal';
import { H264Packetizer } from '../media/rtp/h264-packetizer';
import { H265Packetizer } from '../media/rtp/h265-packetizer';
import { RtpWriter, toRtpClock, type RtpPayload } from '../media/rtp/packet';
import { bridgeSdp, browserCandidateForJanus, chooseBrowserVideo, type BridgeResult } from '../media/sdp/bridge';
import { parseSdp } from '../media/sdp/sdp';
import { JanusClient, JanusError, type JanusHandle, type JanusSession } from './janus-client';
import { JanusProcess } from './janus-process';

export interface MountSink {
	pushVideo(s: { data: Buffer /* AVCC sample: 4-byte-length-prefixed NALs */; dts: number; ctsOffset: number; timescale: number; keyframe: boolean }): void;
	close(): Promise<void>;
}

export interface WebRtcViewer {
	answer: string;
	addRemoteCandidate(candidate: string | null, sdpMid?: string | null, sdpMLineIndex?: number | null): Promise<void>;
	onClose(cb: () => void): void;
	close(): Promise<void>;
}

export interface SfuOptions {
	dataDir: string;
	/** ws://… of an external Janus (also JANUS_URL): then none is spawned. */
	janusUrl?: string;
	log?: (msg: string) => void;
}

const STREAMING = 'janus.plugin.streaming';
const MID = 'v';

interface Connection {
	client: JanusClient;
	session: JanusSession;
	/** A handle for mountpoint create/destroy. */
	control: JanusHandle;
	generation: number;
}

export class Sfu {
	private readonly log: (msg: string) => void;
	private readonly janusUrl?: string;
	private process: JanusProcess | null = null;
	private conn: Connection | null = null;
	private connecting: Promise<Connection> | null = null;
	private generation = 0;
	private socket: dgram.Socket | null = null;
	private readonly mounts = new Map<string, Mount>();
	private readonly viewers = new Set<Viewer>();
	private running = false;
	private reconnectTimer: NodeJS.Timeout | null = null;
	private reconnectDelay = 500;
	private readonly ptHintsFile: string;
	private ptHints: Record<string, number> = {};

	constructor(private readonly opts: SfuOptions) {
		this.log = opts.log ?? (() => {});
		this.janusUrl = opts.janusUrl ?? (process.env.JANUS_URL || undefined);
		this.ptHintsFile = path.join(opts.dataDir, 'janus', 'payload-types.json');
	}

	async start(): Promise<void> {
		if (this.running) return;
		this.running = true;
		try {
			await this.startInner();
		} catch (e) {
			await this.stop();
			throw e;
		}
	}

	private async startInner(): Promise<void> {
		try {
			this.ptHints = JSON.parse(readFileSync(this.ptHintsFile, 'utf8'));
		} catch {
			this.ptHints = {};
		}
		this.socket = dgram.createSocket('udp4');
		this.socket.on('error', (e) => this.log(`sfu: udp error ${e.message}`));
		await new Promise<void>((resolve) => this.socket!.bind(0, '127.0.0.1', () => resolve()));
		if (this.janusUrl) {
			const t = this.target()!;
			await this.connect(t.url, t.apiSecret);
			return;
		}
		const env = process.env;
		this.process = new JanusProcess({
			dir: path.join(this.opts.dataDir, 'janus'),
			log: this.log,
			binary: env.JANUS_BIN || undefined,
			debugLevel: env.JANUS_DEBUG_LEVEL ? Number(env.JANUS_DEBUG_LEVEL) : undefined,
			rtpPortRange: env.JANUS_RTP_PORT_RANGE || undefined,
			iceEnforceList: env.JANUS_ICE_ENFORCE_LIST || undefined,
			iceIgnoreList: env.JANUS_ICE_IGNORE_LIST || undefined,
			nat11: env.JANUS_NAT_1_1 || undefined,
			stunServer: env.JANUS_STUN_SERVER || undefined
		});
		this.process.on('ready', (ep) => {
			// After a restart (not the first start, which start() awaits itself).
			if (ep.generation > 1 && this.running && !this.conn && !this.connecting) {
				this.connect(ep.url, ep.apiSecret).catch((e) => {
					this.log(`sfu: reconnect after janus restart failed: ${e.message}`);
					this.scheduleReconnect();
				});
			}
		});
		const ep = await this.process.start();
		await this.connect(ep.url, ep.apiSecret);
	}

	async stop(): Promise<void> {
		if (!this.running) return;
		this.running = false;
		if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
		this.reconnectTimer = null;
		await Promise.allSettled([...this.viewers].map((v) => v.close()));
		await Promise.allSettled([...this.mounts.values()].map((m) => m.close()));
		const conn = this.conn;
		this.conn = null;
		if (conn) {
			await conn.session.destroy().catch(() => {});
			conn.client.close();
		}
		await this.process?.stop();
		this.process = null;
		this.socket?.close();
		this.socket = null;
	}

	/** Open (or replace) a camera's mountpoint(s) and return the sink to push its video into. */
	async openMount(cameraId: string, video: { codec: 'h264' | 'h265'; config: Buffer }): Promise<MountSink> {
		if (!this.running) throw new Error('sfu not started');
		const old = this.mounts.get(cameraId);
		if (old) await old.close();
		const mount = new Mount(this, cameraId, video.codec, video.config);
		this.mounts.set(cameraId, mount);
		// One endpoint at once, with the payload type browsers last used for this kind of stream.
		const pt = this.ptHints[mount.hintKey] ?? 96;
		await mount.endpoint(pt).catch((e) => {
			this.mounts.delete(cameraId);
			throw e;
		});
		return mount;
	}

	/** Answer a browser's offer (recvonly video, optionally other m-lines which get rejected) for a camera. */
	async watch(cameraId: string, browserOfferSdp: string): Promise<WebRtcViewer> {
		const mount = this.mounts.get(cameraId);
		if (!mount || mount.closed) throw new Error(`camera ${cameraId} has no live mount`);
		const choice = chooseBrowserVideo(parseSdp(browserOfferSdp), mount.codec, mount.profileHint);
		if (!choice) throw new Error(`the browser offers no ${mount.codec.toUpperCase()} video it can receive (packetization-mode=1)`);
		if (this.ptHints[mount.hintKey] !== choice.pt) {
			this.ptHints[mount.hintKey] = choice.pt;
			this.saveHints();
		}
		const ep = await mount.endpoint(choice.pt);
		const conn = await this.connection();
		const handle = await conn.session.attach(STREAMING);
		try {
			const watched = await handle.message({ request: 'watch', id: ep.id, offer_audio: false, offer_data: false });
			if (!watched.jsep || watched.jsep.type !== 'offer') throw new Error('janus sent no offer for watch');
			const bridged = bridgeSdp(browserOfferSdp, watched.jsep.sdp, { video: choice });
			await handle.message({ request: 'start' }, { type: 'answer', sdp: bridged.janusAnswer });
			const viewer = new Viewer(this, mount, handle, bridged);
			this.viewers.add(viewer);
			mount.viewers.add(viewer);
			ep.watched = true;
			mount.pruneUnwatched(ep);
			this.log(`sfu: viewer ${handle.id} watching ${cameraId} (pt ${choice.pt}, ${choice.match} match)`);
			return viewer;
		} catch (e) {
			await handle.detach().catch(() => {});
			throw e;
		}
	}

	/** The spawned Janus's pid (undefined with an external Janus or while it restarts); for diagnostics and tests. */
	get janusPid(): number | undefined {
		return this.process?.pid;
	}

	/** Whether a Janus connection is up. */
	get connected(): boolean {
		return !!this.conn && this.conn.session.isAlive;
	}

	// ---- internals used by Mount / Viewer ----

	/** @internal */ logMessage(msg: string) {
		this.log(msg);
	}

	/** @internal */ send(packet: Buffer, port: number) {
		this.socket?.send(packet, port, '127.0.0.1', () => {});
	}

	/** @internal */ forgetMount(m: Mount) {
		if (this.mounts.get(m.cameraId) === m) this.mounts.delete(m.cameraId);
	}

	/** @internal */ forgetViewer(v: Viewer) {
		this.viewers.delete(v);
	}

	/** @internal The live Janus connection, waiting for a (re)connect in progress. */
	async connection(): Promise<Connection> {
		if (this.conn && this.conn.session.isAlive) return this.conn;
		if (this.connecting) return this.connecting;
		throw new JanusError('janus is not connected');
	}

	/** @internal */ get currentGeneration(): number {
		return this.generation;
	}

	private connect(url: string, apiSecret?: string): Promise<Connection> {
		const p = (async () => {
			const client = await JanusClient.connect(url, { apiSecret, log: this.log });
			try {
				const session = await client.createSession();
				const control = await session.attach(STREAMING);
				const conn: Connection = { client, session, control, generation: ++this.generation };
				if (conn.generation > 1 && this.mounts.size) {
					// A new (possibly restarted) Janus: re-create every camera's mountpoints
					// before anyone may use the connection (watch() waits for this promise).
					this.log(`sfu: janus connection ${conn.generation}: re-creating ${this.mounts.size} mount(s)`);
					await Promise.allSettled([...this.mounts.values()].map((m) => m.remount(conn)));
				}
				const lost = () => this.onLost(conn);
				client.once('close', lost);
				session.once('gone', lost);
				this.conn = conn;
				this.reconnectDelay = 500;
				return conn;
			} catch (e) {
				client.close();
				throw e;
			}
		})();
		this.connecting = p;
		const settle = () => {
			if (this.connecting === p) this.connecting = null;
		};
		p.then(settle, settle);
		return p;
	}

	private onLost(conn: Connection) {
		if (this.conn !== conn) return;
		this.conn = null;
		this.log('sfu: janus connection lost');
		for (const m of this.mounts.values()) m.detachEndpoints();
		conn.client.close();
		// An external Janus: reconnect with a backoff. A spawned one: JanusProcess
		// restarts it if it died (its 'ready' reconnects); if only the socket or
		// the session went, the retry finds it still running.
		this.scheduleReconnect();
	}

	private target(): { url: string; apiSecret?: string } | null {
		if (this.janusUrl) return { url: this.janusUrl, apiSecret: process.env.JANUS_API_SECRET || undefined };
		return this.process?.current ?? null;
	}

	private scheduleReconnect() {
		if (this.reconnectTimer || !this.running) return;
		this.reconnectTimer = setTimeout(() => {
			this.reconnectTimer = null;
			if (!this.running || this.conn || this.connecting) return;
			const t = this.target();
			if (!t) return; // a spawned Janus is restarting: its 'ready' event reconnects
			this.connect(t.url, t.apiSecret).catch((e) => {
				this.log(`sfu: reconnect to ${t.url} failed: ${e.message}`);
				this.reconnectDelay = Math.min(30_000, this.reconnectDelay * 2);
				this.scheduleReconnect();
			});
		}, this.reconnectDelay);
		this.reconnectTimer.unref?.();
	}

	private saveHints() {
		try {
			mkdirSync(path.dirname(this.ptHintsFile), { recursive: true });
			writeFileSync(this.ptHintsFile, JSON.stringify(this.ptHints));
		} catch {
			// hints are an optimisation only
		}
	}
}

interface Endpoint {
	pt: number;
	/** Janus mountpoint id. */
	id: number;
	/** Its RTP port on 127.0.0.1, or null while it is being (re)created. */
	port: number | null;
	writer: RtpWriter;
	ready: Promise<void>;
	/** A viewer has used it (endpoints made for a guessed PT that nobody used get dropped). */
	watched: boolean;
}

class Mount implements MountSink {
	readonly endpoints = new Map<number, Endpoint>();
	readonly viewers = new Set<Viewer>();
	closed = false;
	private readonly packetize: (nals: Buffer[]) => RtpPayload[];
	private readonly isKeyframe: (nals: Buffer[]) => boolean;
	private readonly nalLengthSize: number;
	private readonly fmtp: string;
	/** The stream's profile: H.264 profile-level-id or H.265 profile-id. */
	readonly profileHint: string;
	readonly hintKey: string;
	private lastKeyframe: { packets: RtpPayload[]; ts: number } | null = null;

	constructor(
		private readonly sfu: Sfu,
		readonly cameraId: string,
		readonly codec: 'h264' | 'h265',
		config: Buffer
	) {
		if (codec === 'h264') {
			const cfg: AvcConfig = parseAvcC(config);
			const p = new H264Packetizer({ sps: cfg.sps, pps: cfg.pps });
			this.packetize = (n) => p.packetize(n);
			this.isKeyframe = (n) => n.some((x) => h264NalType(x) === H264_NAL.IDR);
			this.nalLengthSize = cfg.nalLengthSize;
			this.fmtp = `profile-level-id=${cfg.profileLevelId};packetization-mode=1`;
			this.profileHint = cfg.profileLevelId;
			this.hintKey = `h264:${h264ProfileOf(cfg.profileLevelId)}`;
		} else {
			const cfg: HevcConfig = parseHvcC(config);
			const p = new H265Packetizer({ vps: cfg.vps, sps: cfg.sps, pps: cfg.pps });
			this.packetize = (n) => p.packetize(n);
			this.isKeyframe = (n) => n.some((x) => h265IsIrap(h265NalType(x)));
			this.nalLengthSize = cfg.nalLengthSize;
			this.fmtp = hevcFmtp(cfg);
			this.profileHint = String(cfg.generalProfileIdc);
			this.hintKey = `h265:${cfg.generalProfileIdc}`;
		}
	}

	pushVideo(s: { data: Buffer; dts: number; ctsOffset: number; timescale: number; keyframe: boolean }): void {
		if (this.closed) return;
		let nals: Buffer[];
		try {
			nals = splitLengthPrefixed(s.data, this.nalLengthSize);
		} catch {
			try {
				nals = splitLengthPrefixed(s.data, 4); // samples re-framed with 4-byte lengths
			} catch {
				return; // a malformed sample: skip it
			}
		}
		const packets = this.packetize(nals);
		if (!packets.length) return;
		const ts = toRtpClock(s.dts + s.ctsOffset, s.timescale);
		if (s.keyframe || this.isKeyframe(nals)) {
			this.lastKeyframe = { packets: packets.map((p) => ({ payload: Buffer.from(p.payload), marker: p.marker })), ts };
		}
		for (const ep of this.endpoints.values()) {
			if (ep.port === null) continue;
			for (const p of packets) this.sfu.send(ep.writer.write(p, ts), ep.port);
		}
	}

	/** The endpoint (mountpoint) for a payload type, created on first use. */
	async endpoint(pt: number): Promise<Endpoint> {
		let ep = this.endpoints.get(pt);
		if (!ep) {
			ep = { pt, id: randomInt(1, 2 ** 31), port: null, writer: new RtpWriter(pt), ready: Promise.resolve(), watched: false };
			this.endpoints.set(pt, ep);
			const created = ep;
			ep.ready = this.sfu.connection().then((conn) => this.create(created, conn)).catch((e) => {
				if (this.endpoints.get(pt) === created) this.endpoints.delete(pt);
				throw e;
			});
		}
		await ep.ready;
		if (this.closed) throw new Error(`camera ${this.cameraId} mount closed`);
		return ep;
	}

	private async create(ep: Endpoint, conn: Connection): Promise<void> {
		const body = {
			request: 'create',
			type: 'rtp',
			id: ep.id,
			description: `vantage ${this.cameraId} pt ${ep.pt}`,
			is_private: true,
			permanent: false,
			media: [{ type: 'video', mid: MID, label: 'video', port: 0, pt: ep.pt, codec: this.codec, fmtp: this.fmtp, bufferkf: true }]
		};
		let r;
		try {
			r = await conn.control.message(body);
		} catch (e) {
			// Left over from an earlier connection to the same (external) Janus: replace it.
			if (!(e instanceof JanusError) || !/exist/i.test(e.message)) throw e;
			await conn.control.message({ request: 'destroy', id: ep.id }).catch(() => {});
			r = await conn.control.message(body);
		}
		const port = r.data?.stream?.ports?.[0]?.port ?? r.data?.stream?.media?.[0]?.port;
		if (typeof port !== 'number') throw new Error(`janus created mountpoint ${ep.id} without a port`);
		if (this.closed) {
			await conn.control.message({ request: 'destroy', id: ep.id }).catch(() => {});
			return;
		}
		ep.port = port;
		// Prime Janus's keyframe buffer so this mountpoint's first viewer starts at once.
		const kf = this.lastKeyframe;
		if (kf) for (const p of kf.packets) this.sfu.send(ep.writer.write(p, kf.ts), port);
	}

	/** Drop the endpoints no viewer ever used (made at openMount for a payload type browsers turned out not to use). */
	pruneUnwatched(keep: Endpoint) {
		for (const ep of [...this.endpoints.values()]) {
			if (ep === keep || ep.watched) continue;
			this.endpoints.delete(ep.pt);
			ep.ready
				.then(() => this.sfu.connection())
				.then((conn) => conn.control.message({ request: 'destroy', id: ep.id }))
				.catch(() => {});
		}
	}

	/** The Janus connection went away: stop sending until remount(). */
	detachEndpoints() {
		for (const ep of this.endpoints.values()) ep.port = null;
	}

	/** Re-create all endpoints on a new Janus connection (after a restart), with the same ids. */
	async remount(conn: Connection): Promise<void> {
		await Promise.allSettled(
			[...this.endpoints.values()].map((ep) => {
				ep.port = null;
				ep.ready = this.create(ep, conn);
				ep.ready.catch((e) => this.sfu.logMessage(`sfu: re-creating mountpoint ${ep.id} for ${this.cameraId} failed: ${e.message}`));
				return ep.ready;
			})
		);
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		this.sfu.forgetMount(this);
		await Promise.allSettled([...this.viewers].map((v) => v.close()));
		const eps = [...this.endpoints.values()];
		this.endpoints.clear();
		const conn = await this.sfu.connection().catch(() => null);
		if (conn) await Promise.allSettled(eps.map((ep) => conn.control.message({ request: 'destroy', id: ep.id })));
		this.lastKeyframe = null;
	}
}

class Viewer implements WebRtcViewer {
	readonly answer: string;
	private closed = false;
	private readonly closeCbs: (() => void)[] = [];

	constructor(
		private readonly sfu: Sfu,
		private readonly mount: Mount,
		private readonly handle: JanusHandle,
		private readonly bridged: BridgeResult
	) {
		this.answer = bridged.browserAnswer;
		handle.on('webrtcup', () => sfu.logMessage(`sfu: viewer ${handle.id} of ${mount.cameraId}: WebRTC up`));
		handle.on('hangup', (reason: string) => {
			sfu.logMessage(`sfu: viewer ${handle.id} of ${mount.cameraId}: hangup (${reason})`);
			void this.close();
		});
		handle.on('detached', () => void this.close());
	}

	async addRemoteCandidate(candidate: string | null, sdpMid?: string | null, sdpMLineIndex?: number | null): Promise<void> {
		if (this.closed) return;
		const c = browserCandidateForJanus(candidate, sdpMid, sdpMLineIndex, this.bridged.videoTransport);
		if (c === undefined) return; // another m-line's transport (unbundled audio): not ours
		await this.handle.trickle(c === null ? null : { candidate: c, sdpMid: this.bridged.janusMid, sdpMLineIndex: this.bridged.janusMlineIndex });
	}

	onClose(cb: () => void): void {
		if (this.closed) queueMicrotask(cb);
		else this.closeCbs.push(cb);
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		this.sfu.forgetViewer(this);
		this.mount.viewers.delete(this);
		await this.handle.detach().catch(() => {});
		for (const cb of this.closeCbs.splice(0)) {
			try {
				cb();
			} catch {
				// a listener's error is not ours
			}
		}
	}
}

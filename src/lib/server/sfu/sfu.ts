// The WebRTC SFU: the only module that knows Janus. Cameras become Janus
// Streaming RTP mountpoints fed over UDP on 127.0.0.1; browsers watch them
// through an SDP bridge (media/sdp/bridge.ts) because Janus 1.1.2 can only
// offer while go2rtc's player protocol has the browser offer.
//
// Payload types: Janus relays RTP with the PT its mountpoint is configured
// with, and the browser answer must carry the PT the browser offered, so a
// camera has one mountpoint ("endpoint") per payload type, created on demand;
// the sink fans each RTP packet out to all of them (browsers of one version
// use one PT, so normally there is one). A camera with audio has an Opus
// stream in every endpoint too, so an endpoint is keyed by both PTs. A new
// endpoint is primed with the last keyframe so Janus's keyframe buffer
// (`bufferkf`) serves its first viewer at once.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAvcC, h264ProfileOf, type AvcConfig } from '../media/h264/avcc';
import { parseHvcC, hevcFmtp, type HevcConfig } from '../media/h264/hvcc';
import { H264_NAL, h264NalType, h265IsIrap, h265NalType, splitLengthPrefixed } from '../media/h264/nal';
import { H264Packetizer } from '../media/rtp/h264-packetizer';
import { H265Packetizer } from '../media/rtp/h265-packetizer';
import { OPUS_CLOCK_RATE, packetizeOpus } from '../media/rtp/opus-packetizer';
import { RtpWriter, toRtpClock, type RtpPayload } from '../media/rtp/packet';
import { bridgeSdp, browserCandidateForJanus, chooseBrowserAudio, chooseBrowserVideo, type BridgeResult } from '../media/sdp/bridge';
import { parseSdp } from '../media/sdp/sdp';
import { JanusClient, JanusError, type JanusHandle, type JanusSession } from './janus-client';
import { JanusProcess } from './janus-process';

export interface MountSink {
	pushVideo(s: { data: Buffer /* AVCC sample: 4-byte-length-prefixed NALs */; dts: number; ctsOffset: number; timescale: number; keyframe: boolean }): void;
	/** One Opus packet (an MP4 Opus sample); ignored when the mount has no audio. */
	pushAudio(s: { data: Buffer; pts: number; timescale: number }): void;
	close(): Promise<void>;
}

/** The audio of a mountpoint: Opus, WebRTC's audio codec (other codecs are transcoded to it before the SFU). */
export interface MountAudio {
	codec: 'opus';
	sampleRate: 48000;
	channels: 1 | 2;
}

export interface WebRtcViewer {
	answer: string;
	/** The answer sends the browser the camera's audio. */
	audio: boolean;
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
const VIDEO_MID = 'v';
const AUDIO_MID = 'a';
// First guesses of the browsers' payload types, until one has watched (then payload-types.json remembers).
const DEFAULT_VIDEO_PT = 96;
const DEFAULT_OPUS_PT = 111; // Chromium's and Safari's (Firefox: 109)
const OPUS_HINT = 'opus';

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
		this.socket.on('error', (e) => this.log(`udp error ${e.message}`));
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
					this.log(`reconnect after janus restart failed: ${e.message}`);
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

	/** Open (or replace) a camera's mountpoint(s) and return the sink to push its video (and audio) into. */
	async openMount(cameraId: string, video: { codec: 'h264' | 'h265'; config: Buffer }, audio?: MountAudio): Promise<MountSink> {
		if (!this.running) throw new Error('sfu not started');
		const old = this.mounts.get(cameraId);
		if (old) await old.close();
		const mount = new Mount(this, cameraId, video.codec, video.config, audio);
		this.mounts.set(cameraId, mount);
		// One endpoint at once, with the payload types browsers last used for this kind of stream.
		const pts = mount.payloadTypes(this.ptHints[mount.hintKey] ?? DEFAULT_VIDEO_PT);
		await mount.endpoint(pts).catch((e) => {
			this.mounts.delete(cameraId);
			throw e;
		});
		return mount;
	}

	/**
	 * Answer a browser's offer for a camera: recvonly video, and recvonly Opus
	 * audio when the mount has audio; other m-lines get rejected (or stay
	 * bundled but inactive).
	 */
	async watch(cameraId: string, browserOfferSdp: string): Promise<WebRtcViewer> {
		const mount = this.mounts.get(cameraId);
		if (!mount || mount.closed) throw new Error(`camera ${cameraId} has no live mount`);
		const offer = parseSdp(browserOfferSdp);
		const video = chooseBrowserVideo(offer, mount.codec, mount.profileHint);
		if (!video) throw new Error(`the browser offers no ${mount.codec.toUpperCase()} video it can receive (packetization-mode=1)`);
		const audio = (mount.audio && chooseBrowserAudio(offer)) || undefined;
		this.rememberPt(mount.hintKey, video.pt);
		if (audio) this.rememberPt(OPUS_HINT, audio.pt);
		const ep = await mount.endpoint(mount.payloadTypes(video.pt, audio?.pt));
		const conn = await this.connection();
		const handle = await conn.session.attach(STREAMING);
		try {
			// Without audio wanted, Janus offers the endpoint's video only.
			const watched = await handle.message({ request: 'watch', id: ep.id, offer_audio: !!audio, offer_data: false });
			if (!watched.jsep || watched.jsep.type !== 'offer') throw new Error('janus sent no offer for watch');
			const bridged = bridgeSdp(browserOfferSdp, watched.jsep.sdp, { video, audio });
			await handle.message({ request: 'start' }, { type: 'answer', sdp: bridged.janusAnswer });
			const viewer = new Viewer(this, mount, handle, bridged);
			this.viewers.add(viewer);
			mount.viewers.add(viewer);
			ep.watched = true;
			mount.pruneUnwatched(ep);
			this.log(`viewer ${handle.id} watching ${cameraId} (pt ${video.pt}, ${video.match} match${bridged.audio ? `, opus pt ${audio!.pt}` : ', no audio'})`);
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

	/** @internal The payload type browsers last used for a kind of stream ('h264:<profile>', 'opus', …). */
	ptHint(key: string): number | undefined {
		return this.ptHints[key];
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
					this.log(`janus connection ${conn.generation}: re-creating ${this.mounts.size} mount(s)`);
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
				this.log(`reconnect to ${t.url} failed: ${e.message}`);
				this.reconnectDelay = Math.min(30_000, this.reconnectDelay * 2);
				this.scheduleReconnect();
			});
		}, this.reconnectDelay);
		this.reconnectTimer.unref?.();
	}

	private rememberPt(key: string, pt: number) {
		if (this.ptHints[key] === pt) return;
		this.ptHints[key] = pt;
		this.saveHints();
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

type MediaKind = 'video' | 'audio';

/** The browser payload types an endpoint sends with: its video's, and its Opus's when the camera has audio. */
interface PayloadTypes {
	video: number;
	audio?: number;
}

const keyOf = (pts: PayloadTypes) => (pts.audio === undefined ? String(pts.video) : `${pts.video}/${pts.audio}`);

interface Endpoint {
	pts: PayloadTypes;
	/** Janus mountpoint id. */
	id: number;
	/** Its RTP ports on 127.0.0.1 (per medium), or null while it is being (re)created. */
	ports: Partial<Record<MediaKind, number>> | null;
	writers: Partial<Record<MediaKind, RtpWriter>>;
	ready: Promise<void>;
	/** A viewer has used it (endpoints made for a guessed PT that nobody used get dropped). */
	watched: boolean;
}

class Mount implements MountSink {
	readonly endpoints = new Map<string, Endpoint>();
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
		config: Buffer,
		readonly audio?: MountAudio
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
		this.fanOut('video', packets, ts);
	}

	pushAudio(s: { data: Buffer; pts: number; timescale: number }): void {
		if (this.closed || !this.audio) return;
		const packets = packetizeOpus(s.data);
		if (packets.length) this.fanOut('audio', packets, toRtpClock(s.pts, s.timescale, OPUS_CLOCK_RATE));
	}

	/** Send one medium's packets of one timestamp to the endpoints, each with its own SSRC/sequence. */
	private fanOut(kind: MediaKind, packets: RtpPayload[], ts: number, endpoints: Iterable<Endpoint> = this.endpoints.values()) {
		for (const ep of endpoints) {
			const port = ep.ports?.[kind];
			const writer = ep.writers[kind];
			if (port === undefined || !writer) continue;
			for (const p of packets) this.sfu.send(writer.write(p, ts), port);
		}
	}

	/**
	 * The payload types of the endpoint for a viewer: its video PT and, when it
	 * takes audio, its Opus PT. A viewer without audio shares any endpoint with
	 * its video PT (Janus then offers it the video only).
	 */
	payloadTypes(video: number, audio?: number): PayloadTypes {
		if (!this.audio) return { video };
		if (audio !== undefined) return { video, audio };
		const shared = [...this.endpoints.values()].find((ep) => ep.pts.video === video);
		return shared?.pts ?? { video, audio: this.sfu.ptHint(OPUS_HINT) ?? DEFAULT_OPUS_PT };
	}

	/** The endpoint (mountpoint) for payload types, created on first use. */
	async endpoint(pts: PayloadTypes): Promise<Endpoint> {
		const key = keyOf(pts);
		let ep = this.endpoints.get(key);
		if (!ep) {
			const writers = { video: new RtpWriter(pts.video), ...(pts.audio !== undefined ? { audio: new RtpWriter(pts.audio) } : {}) };
			ep = { pts, id: randomInt(1, 2 ** 31), ports: null, writers, ready: Promise.resolve(), watched: false };
			this.endpoints.set(key, ep);
			const created = ep;
			ep.ready = this.sfu.connection().then((conn) => this.create(created, conn)).catch((e) => {
				if (this.endpoints.get(key) === created) this.endpoints.delete(key);
				throw e;
			});
		}
		await ep.ready;
		if (this.closed) throw new Error(`camera ${this.cameraId} mount closed`);
		return ep;
	}

	private async create(ep: Endpoint, conn: Connection): Promise<void> {
		const media: object[] = [{ type: 'video', mid: VIDEO_MID, label: 'video', port: 0, pt: ep.pts.video, codec: this.codec, fmtp: this.fmtp, bufferkf: true }];
		if (ep.pts.audio !== undefined) media.push({ type: 'audio', mid: AUDIO_MID, label: 'audio', port: 0, pt: ep.pts.audio, codec: 'opus' });
		const body = {
			request: 'create',
			type: 'rtp',
			id: ep.id,
			description: `vantage ${this.cameraId} pt ${keyOf(ep.pts)}`,
			is_private: true,
			permanent: false,
			media
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
		const listed: { mid?: string; port?: unknown }[] = r.data?.stream?.ports ?? r.data?.stream?.media ?? [];
		const portOf = (mid: string) => listed.find((p) => p.mid === mid)?.port;
		const video = portOf(VIDEO_MID);
		const audio = ep.pts.audio === undefined ? undefined : portOf(AUDIO_MID);
		if (typeof video !== 'number' || (ep.pts.audio !== undefined && typeof audio !== 'number')) throw new Error(`janus created mountpoint ${ep.id} without its ports`);
		if (this.closed) {
			await conn.control.message({ request: 'destroy', id: ep.id }).catch(() => {});
			return;
		}
		ep.ports = { video, ...(typeof audio === 'number' ? { audio } : {}) };
		// Prime Janus's keyframe buffer so this mountpoint's first viewer starts at once.
		const kf = this.lastKeyframe;
		if (kf) this.fanOut('video', kf.packets, kf.ts, [ep]);
	}

	/** Drop the endpoints no viewer ever used (made at openMount for a payload type browsers turned out not to use). */
	pruneUnwatched(keep: Endpoint) {
		for (const [key, ep] of [...this.endpoints]) {
			if (ep === keep || ep.watched) continue;
			this.endpoints.delete(key);
			ep.ready
				.then(() => this.sfu.connection())
				.then((conn) => conn.control.message({ request: 'destroy', id: ep.id }))
				.catch(() => {});
		}
	}

	/** The Janus connection went away: stop sending until remount(). */
	detachEndpoints() {
		for (const ep of this.endpoints.values()) ep.ports = null;
	}

	/** Re-create all endpoints on a new Janus connection (after a restart), with the same ids. */
	async remount(conn: Connection): Promise<void> {
		await Promise.allSettled(
			[...this.endpoints.values()].map((ep) => {
				ep.ports = null;
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
	readonly audio: boolean;
	private closed = false;
	private readonly closeCbs: (() => void)[] = [];

	constructor(
		private readonly sfu: Sfu,
		private readonly mount: Mount,
		private readonly handle: JanusHandle,
		private readonly bridged: BridgeResult
	) {
		this.answer = bridged.browserAnswer;
		this.audio = bridged.audio;
		handle.on('webrtcup', () => sfu.logMessage(`sfu: viewer ${handle.id} of ${mount.cameraId}: WebRTC up`));
		handle.on('hangup', (reason: string) => {
			sfu.logMessage(`sfu: viewer ${handle.id} of ${mount.cameraId}: hangup (${reason})`);
			void this.close();
		});
		handle.on('detached', () => void this.close());
	}

	async addRemoteCandidate(candidate: string | null, sdpMid?: string | null, sdpMLineIndex?: number | null): Promise<void> {
		if (this.closed) return;
		const c = browserCandidateForJanus(candidate, sdpMid, sdpMLineIndex, this.bridged.transport);
		if (c === undefined) return; // another m-line's transport (an unbundled one we don't answer): not ours
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

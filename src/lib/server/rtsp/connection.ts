// One RTSP control connection: parses requests (bounded), answers them in
// order, and owns at most one session (a reader's or a publisher's). Anything
// malformed gets an error answer and, when the stream can't be trusted any
// more, the connection closed; nothing a peer sends can throw past here.
import type { Socket } from 'node:net';
import {
	RtspHeaders,
	RtspParseError,
	RtspParser,
	buildSdp,
	formatTransport,
	parseRtspUri,
	parseTransport,
	serializeResponse,
	sessionId,
	type RtspRequest,
	type RtspUri,
	type TransportSpec
} from '../media/rtsp';
import { RtspStatusError, type LiveSource, type Viewer } from './backend';
import { PlaySession, describeTracks, type DescribedTrack } from './play-session';
import { RecordSession } from './record-session';
import type { RtspServerContext } from './server';

const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER, ANNOUNCE, RECORD';
const MAX_QUEUED = 16;

interface Reply {
	status: number;
	headers?: Record<string, string | string[] | number | undefined>;
	body?: string | Buffer;
	/** Runs after the answer is written (PLAY: the media follows its answer). */
	after?: () => void;
}

/** IPv4-mapped IPv6 addresses as plain IPv4. */
export const plainAddress = (a: string | undefined) => (a ?? 'unknown').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

export class RtspConnection {
	readonly remoteAddress: string;
	private parser = new RtspParser();
	private queue: Promise<void> = Promise.resolve();
	private queued = 0;
	private session?: PlaySession | RecordSession;
	private authCache = new Map<string, Viewer>();
	private described?: { id: string; source: LiveSource; tracks: DescribedTrack[] };
	private lastActivity = Date.now();
	private timer?: NodeJS.Timeout;
	private closed = false;

	constructor(
		readonly socket: Socket,
		private readonly server: RtspServerContext
	) {
		this.remoteAddress = plainAddress(socket.remoteAddress);
		socket.setNoDelay(true);
		socket.setKeepAlive(true, 30_000);
		socket.on('data', (chunk: Buffer) => this.onData(chunk));
		socket.on('error', () => this.close('socket error'));
		socket.on('close', () => this.close('connection closed'));
		this.timer = setInterval(() => this.checkIdle(), 5000);
		this.timer.unref?.();
	}

	get sessionInfo() {
		return this.session;
	}

	close(reason: string) {
		if (this.closed) return;
		this.closed = true;
		clearInterval(this.timer);
		this.endSession(reason);
		this.server.forget(this);
		if (!this.socket.destroyed) this.socket.destroy();
	}

	/** Answered, now hang up: the answer is written before the socket goes (or after 2 s, whatever the peer does). */
	private closeAfterFlush(reason: string) {
		if (this.closed) return;
		this.endSession(reason);
		this.closed = true;
		clearInterval(this.timer);
		this.server.forget(this);
		this.socket.end();
		setTimeout(() => this.socket.destroy(), 2000).unref?.();
	}

	private endSession(reason: string) {
		const s = this.session;
		this.session = undefined;
		if (!s) return;
		if (s instanceof RecordSession) {
			s.close(reason);
			this.server.log(`rtsp: publisher ${this.remoteAddress} of camera ${s.cameraId} stopped: ${reason}`);
		} else s.close();
	}

	private checkIdle() {
		const s = this.session;
		// A reader over TCP says nothing while it plays; a dead one is found by the socket.
		if (s instanceof PlaySession && s.state === 'playing' && s.tracks.some((t) => t.transport?.kind === 'tcp')) return;
		if (s instanceof RecordSession && s.state === 'recording') return; // its own watchdog
		const limit = s ? this.server.options.sessionTimeoutMs : this.server.options.idleTimeoutMs;
		if (Date.now() - this.lastActivity > limit) this.close('timeout');
	}

	private onData(chunk: Buffer) {
		if (this.closed) return;
		let messages;
		try {
			messages = this.parser.push(chunk);
		} catch (e) {
			const err = e instanceof RtspParseError ? e : new RtspParseError(400, 'bad request');
			this.write(serializeResponse({ status: err.status, headers: new RtspHeaders({ Server: 'Vantage' }) }));
			this.closeAfterFlush(`bad input: ${err.message}`);
			return;
		}
		for (const m of messages) {
			if (m.type === 'data') {
				this.session?.onInterleaved(m.channel, m.data);
				if (this.session instanceof PlaySession) this.lastActivity = Date.now();
			} else if (m.type === 'request') {
				this.lastActivity = Date.now();
				if (++this.queued > MAX_QUEUED) {
					this.close('too many requests in flight');
					return;
				}
				const req = m.request;
				this.queue = this.queue.then(() => this.answer(req)).finally(() => this.queued--);
			}
			// Responses (to requests we never send) are ignored.
		}
	}

	private write(buf: Buffer) {
		if (!this.socket.destroyed && this.socket.writable) this.socket.write(buf);
	}

	private async answer(req: RtspRequest) {
		if (this.closed) return;
		let reply: Reply;
		try {
			reply = await this.handle(req);
		} catch (e) {
			if (e instanceof RtspStatusError) reply = { status: e.status, headers: e.headers };
			else {
				this.server.log(`rtsp: ${req.method} from ${this.remoteAddress}: ${(e as Error).stack ?? e}`);
				reply = { status: 500 };
			}
		}
		if (this.closed) return;
		const headers = new RtspHeaders();
		const cseq = req.headers.get('cseq');
		if (cseq !== undefined) headers.set('CSeq', cseq);
		headers.set('Server', 'Vantage');
		for (const [k, v] of Object.entries(reply.headers ?? {})) if (v !== undefined) headers.set(k, Array.isArray(v) ? v : String(v));
		this.write(serializeResponse({ status: reply.status, headers, body: reply.body }));
		reply.after?.();
	}

	private sessionHeader(s: PlaySession | RecordSession) {
		return `${s.id};timeout=${Math.round(this.server.options.sessionTimeoutMs / 1000)}`;
	}

	/** The request's session must be this connection's (when it names one). */
	private requireSession(req: RtspRequest): PlaySession | RecordSession {
		const s = this.session;
		const named = sessionId(req.headers.get('session'));
		if (!s || (named && named !== s.id)) throw new RtspStatusError(454, 'session not found');
		return s;
	}

	private uri(req: RtspRequest): RtspUri {
		const u = parseRtspUri(req.uri);
		if (!u) throw new RtspStatusError(400, 'bad Request-URI');
		return u;
	}

	private async handle(req: RtspRequest): Promise<Reply> {
		switch (req.method) {
			case 'OPTIONS':
				return { status: 200, headers: { Public: PUBLIC } };
			case 'DESCRIBE':
				return this.describe(req);
			case 'SETUP':
				return this.setup(req);
			case 'PLAY':
				return this.play(req);
			case 'PAUSE': {
				const s = this.requireSession(req);
				if (!(s instanceof PlaySession)) throw new RtspStatusError(455, 'not a playing session');
				s.pause();
				return { status: 200, headers: { Session: this.sessionHeader(s) } };
			}
			case 'TEARDOWN': {
				const s = this.requireSession(req);
				this.endSession('teardown');
				return { status: 200, headers: { Session: s.id } };
			}
			case 'GET_PARAMETER':
			case 'SET_PARAMETER': {
				// Keep-alives. Parameters themselves: none supported.
				if (req.headers.has('session')) {
					const s = this.requireSession(req);
					return { status: req.method === 'SET_PARAMETER' && req.body.length ? 451 : 200, headers: { Session: this.sessionHeader(s) } };
				}
				return { status: req.method === 'SET_PARAMETER' && req.body.length ? 451 : 200 };
			}
			case 'ANNOUNCE':
				return this.announce(req);
			case 'RECORD':
				return this.record(req);
			default:
				return { status: 501, headers: { Public: PUBLIC } };
		}
	}

	/** Who the request speaks for (?auth=basic: challenge with Basic alone, for platform users of clients that prefer Digest). */
	private viewer(req: RtspRequest, u: RtspUri): Promise<Viewer> {
		return this.server.auth.authenticate(req, this.remoteAddress, this.authCache, u.query.auth?.toLowerCase() === 'basic');
	}

	private cameraIdOf(u: RtspUri): string {
		const id = u.path[0];
		if (!id) throw new RtspStatusError(404, 'no stream in the URL');
		return id;
	}

	/** The camera's stream and RTSP tracks, if the request's credentials may read it. */
	private async open(req: RtspRequest, u: RtspUri): Promise<{ source: LiveSource; tracks: DescribedTrack[] }> {
		const id = this.cameraIdOf(u);
		const viewer = await this.viewer(req, u);
		const source = await this.server.backend.open(viewer, id);
		if (!source.init) throw new RtspStatusError(503, 'camera is offline');
		const tracks = describeTracks(source.init);
		if (!tracks.some((t) => t.info.kind === 'video')) throw new RtspStatusError(415, 'the camera has no video RTSP can carry');
		this.described = { id, source, tracks };
		return { source, tracks };
	}

	private async describe(req: RtspRequest): Promise<Reply> {
		const u = this.uri(req);
		const id = this.cameraIdOf(u);
		const { tracks } = await this.open(req, u);
		const base = req.uri.replace(/\/+$/, '') + '/';
		const local = plainAddress(this.socket.localAddress);
		const sdp = buildSdp({ sessionId: String(Date.now()), name: id, address: local, tracks: tracks.map((t) => t.sdp) });
		return { status: 200, headers: { 'Content-Base': base, 'Content-Type': 'application/sdp' }, body: sdp };
	}

	private transportOf(req: RtspRequest, used: Set<number>): TransportSpec {
		const header = req.headers.get('transport');
		if (!header) throw new RtspStatusError(461, 'Transport header required');
		for (const spec of parseTransport(header)) {
			if (spec.multicast || (spec.profile !== 'RTP/AVP' && spec.profile !== 'RTP/AVPF')) continue;
			if (spec.lower === 'udp' && (!this.server.udp || !spec.clientPort)) continue;
			if (spec.lower === 'tcp') {
				let ch = spec.interleaved;
				if (!ch) {
					let c = 0;
					while (used.has(c) || used.has(c + 1)) c += 2;
					ch = [c, c + 1];
				}
				if (used.has(ch[0]) || used.has(ch[1])) continue;
				return { ...spec, interleaved: ch };
			}
			return spec;
		}
		throw new RtspStatusError(461, this.server.udp ? 'unsupported transport: use RTP/AVP over UDP or TCP, unicast' : 'unsupported transport: use RTP/AVP/TCP (interleaved)');
	}

	private async setup(req: RtspRequest): Promise<Reply> {
		const u = this.uri(req);
		if (this.session instanceof RecordSession) return this.setupRecord(req, u, this.session);
		const named = sessionId(req.headers.get('session'));
		if (named && named !== this.session?.id) throw new RtspStatusError(454, 'session not found');
		const id = this.cameraIdOf(u);
		let session = this.session;
		if (session && session.cameraId !== id) throw new RtspStatusError(459, 'one camera per session');
		if (!session) {
			const d = this.described?.id === id ? this.described : await this.open(req, u);
			session = new PlaySession(d.source, d.tracks, {
				socket: this.socket,
				remoteAddress: this.remoteAddress,
				backend: this.server.backend,
				maxPayload: this.server.options.maxPayload,
				onEnd: (reason) => this.close(reason),
				onActivity: () => (this.lastActivity = Date.now()),
				log: this.server.log
			});
		} else {
			// Every SETUP is checked, not only the first: credentials may differ.
			await this.viewer(req, u);
		}
		const control = u.path.slice(1).join('/');
		const m = /(?:^|\/)trackID=(\d+)$/.exec(control);
		let index: number;
		if (m) index = Number(m[1]);
		else if (!control) index = session.tracks.findIndex((t) => !t.transport);
		else throw new RtspStatusError(404, 'no such track');
		if (!session.tracks[index]) throw new RtspStatusError(404, 'no such track');
		const spec = this.transportOf(req, session.usedChannels());
		if (spec.mode === 'record') throw new RtspStatusError(455, 'mode=record needs ANNOUNCE first');
		let answer: TransportSpec;
		const ssrc = session.tracks[index].ssrc;
		if (spec.lower === 'tcp') {
			session.setup(index, req.uri, { kind: 'tcp', channels: spec.interleaved! });
			answer = { profile: spec.profile, lower: 'tcp', multicast: false, interleaved: spec.interleaved, mode: 'play', ssrc };
		} else {
			const pair = await this.server.udp!.allocate(this.socket.remoteFamily === 'IPv6' && this.remoteAddress.includes(':') ? 'udp6' : 'udp4');
			if (this.closed) {
				pair.close();
				throw new RtspStatusError(454, 'closed');
			}
			session.setup(index, req.uri, { kind: 'udp', pair, address: this.remoteAddress, ports: spec.clientPort! });
			answer = { profile: spec.profile, lower: 'udp', multicast: false, clientPort: spec.clientPort, serverPort: pair.ports, mode: 'play', ssrc };
		}
		this.session = session;
		return { status: 200, headers: { Transport: formatTransport(answer), Session: this.sessionHeader(session) } };
	}

	private async play(req: RtspRequest): Promise<Reply> {
		const s = this.requireSession(req);
		if (!(s instanceof PlaySession)) throw new RtspStatusError(455, 'a publishing session does not play');
		const { rtpInfo, start } = s.play();
		return { status: 200, headers: { Session: this.sessionHeader(s), Range: 'npt=0.000-', 'RTP-Info': rtpInfo }, after: start };
	}

	private async announce(req: RtspRequest): Promise<Reply> {
		if (this.session) throw new RtspStatusError(455, 'this connection already has a session');
		const u = this.uri(req);
		const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
		if (type !== 'application/sdp') throw new RtspStatusError(415, 'ANNOUNCE needs an application/sdp body');
		// With the key of the publish URL, or as a platform user with push rights (a new path makes a camera).
		const key = u.query.key;
		const path = u.path.join('/');
		if (!path) throw new RtspStatusError(404, 'no stream in the URL');
		const target = await this.server.backend.authorizePublish(path, key !== undefined ? { key } : { viewer: await this.viewer(req, u) });
		if (this.closed) return { status: 200 };
		if (this.session) throw new RtspStatusError(455, 'this connection already has a session');
		this.session = new RecordSession(target, req.body.toString('utf8'), {
			path: u.path,
			remoteAddress: this.remoteAddress,
			backend: this.server.backend,
			publishTimeoutMs: this.server.options.publishTimeoutMs,
			onEnd: (reason) => this.close(reason),
			log: this.server.log
		});
		return { status: 200 };
	}

	private async setupRecord(req: RtspRequest, u: RtspUri, s: RecordSession): Promise<Reply> {
		const named = sessionId(req.headers.get('session'));
		// The first SETUP of a publisher may come before it knows the session id.
		if (named && named !== s.id) throw new RtspStatusError(454, 'session not found');
		if (!s.isAnnounced(u)) throw new RtspStatusError(459, 'SETUP for another stream than the one announced');
		const track = s.trackFor(u);
		if (!track) throw new RtspStatusError(404, 'no such track');
		const spec = this.transportOf(req, s.usedChannels());
		let answer: TransportSpec;
		if (spec.lower === 'tcp') {
			s.setupTcp(track, spec.interleaved!);
			answer = { profile: spec.profile, lower: 'tcp', multicast: false, interleaved: spec.interleaved, mode: 'record' };
		} else {
			const pair = await this.server.udp!.allocate(this.socket.remoteFamily === 'IPv6' && this.remoteAddress.includes(':') ? 'udp6' : 'udp4');
			if (this.closed || this.session !== s) {
				pair.close();
				throw new RtspStatusError(454, 'closed');
			}
			try {
				pair.rtp.setRecvBufferSize(4 * 1024 * 1024);
			} catch {
				/* the system's limit */
			}
			s.setupUdp(track, pair);
			answer = { profile: spec.profile, lower: 'udp', multicast: false, clientPort: spec.clientPort, serverPort: pair.ports, mode: 'record' };
		}
		return { status: 200, headers: { Transport: formatTransport(answer), Session: this.sessionHeader(s) } };
	}

	private async record(req: RtspRequest): Promise<Reply> {
		const s = this.requireSession(req);
		if (!(s instanceof RecordSession)) throw new RtspStatusError(455, 'RECORD needs ANNOUNCE first');
		try {
			s.record();
		} catch (e) {
			if (e instanceof RtspStatusError && e.status !== 455) this.endSession(e.message);
			throw e;
		}
		return { status: 200, headers: { Session: this.sessionHeader(s) } };
	}
}

// The Janus JSON API (https://janus.conf.meetecho.com/docs/rest.html) over a
// WebSocket with the `janus-protocol` subprotocol: sessions with keepalives,
// plugin handles, messages with transactions (ack, then event), trickle, and
// the asynchronous events (webrtcup, hangup, media, slowlink, detached).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

export class JanusError extends Error {
	constructor(
		message: string,
		readonly code?: number
	) {
		super(message);
		this.name = 'JanusError';
	}
}

interface Pending {
	resolve: (v: Json) => void;
	reject: (e: Error) => void;
	/** Resolve on `ack` (keepalive, trickle, detach …) rather than waiting for an event. */
	ackIsEnough: boolean;
	timer: NodeJS.Timeout;
}

export interface JanusClientOptions {
	apiSecret?: string;
	/** How long a request may wait for its answer (after an ack: for its event). */
	requestTimeoutMs?: number;
	log?: (msg: string) => void;
}

/** One WebSocket connection to Janus. Emits 'close' once when it is gone. */
export class JanusClient extends EventEmitter {
	private readonly pending = new Map<string, Pending>();
	readonly sessions = new Map<number, JanusSession>();
	private closed = false;
	readonly requestTimeoutMs: number;

	private constructor(
		private readonly ws: WebSocket,
		private readonly opts: JanusClientOptions
	) {
		super();
		this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
		ws.on('message', (data) => this.onMessage(data.toString()));
		ws.on('close', () => this.onClose());
		ws.on('error', (e) => opts.log?.(`janus ws error: ${e.message}`));
	}

	static connect(url: string, opts: JanusClientOptions = {}, timeoutMs = 5_000): Promise<JanusClient> {
		return new Promise((resolve, reject) => {
			const ws = new WebSocket(url, 'janus-protocol', { maxPayload: 16 * 1024 * 1024 });
			const timer = setTimeout(() => {
				ws.terminate();
				reject(new Error(`connect to ${url} timed out`));
			}, timeoutMs);
			ws.once('open', () => {
				clearTimeout(timer);
				ws.removeAllListeners('error');
				resolve(new JanusClient(ws, opts));
			});
			ws.once('error', (e) => {
				clearTimeout(timer);
				reject(e);
			});
		});
	}

	get isOpen(): boolean {
		return !this.closed && this.ws.readyState === WebSocket.OPEN;
	}

	/** Send a request and wait for its answer: `success`, an ack (if `ackIsEnough`) or the event after the ack. */
	send(body: Json, ackIsEnough = false, timeoutMs = this.requestTimeoutMs): Promise<Json> {
		if (!this.isOpen) return Promise.reject(new JanusError('janus connection closed'));
		const transaction = randomBytes(9).toString('base64url');
		const msg = { ...body, transaction, ...(this.opts.apiSecret ? { apisecret: this.opts.apiSecret } : {}) };
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(transaction);
				reject(new JanusError(`janus ${body.janus} timed out after ${timeoutMs} ms`));
			}, timeoutMs);
			this.pending.set(transaction, { resolve, reject, ackIsEnough, timer });
			this.ws.send(JSON.stringify(msg), (err) => {
				if (!err) return;
				clearTimeout(timer);
				this.pending.delete(transaction);
				reject(err);
			});
		});
	}

	info(): Promise<Json> {
		return this.send({ janus: 'info' });
	}

	async createSession(keepaliveMs = 25_000): Promise<JanusSession> {
		const r = await this.send({ janus: 'create' });
		const s = new JanusSession(this, r.data.id, keepaliveMs);
		this.sessions.set(s.id, s);
		return s;
	}

	close(): void {
		if (this.closed) return;
		this.ws.close();
		// 'close' follows from the socket; make sure it comes even if the peer hangs.
		setTimeout(() => this.ws.terminate(), 1_000).unref();
	}

	private onMessage(text: string) {
		let msg: Json;
		try {
			msg = JSON.parse(text);
		} catch {
			return;
		}
		const tx = msg.transaction as string | undefined;
		const p = tx ? this.pending.get(tx) : undefined;
		if (p) {
			if (msg.janus === 'ack' && !p.ackIsEnough) return; // the event follows with the same transaction
			clearTimeout(p.timer);
			this.pending.delete(tx!);
			if (msg.janus === 'error') p.reject(new JanusError(msg.error?.reason ?? 'janus error', msg.error?.code));
			else {
				const err = msg.plugindata?.data?.error;
				if (err) p.reject(new JanusError(String(err), msg.plugindata.data.error_code));
				else p.resolve(msg);
			}
			return;
		}
		// Asynchronous: route to the session, then to the handle.
		const session = this.sessions.get(msg.session_id);
		session?.dispatch(msg);
	}

	private onClose() {
		if (this.closed) return;
		this.closed = true;
		for (const [tx, p] of this.pending) {
			clearTimeout(p.timer);
			p.reject(new JanusError('janus connection closed'));
			this.pending.delete(tx);
		}
		for (const s of this.sessions.values()) s.gone('connection closed');
		this.sessions.clear();
		this.emit('close');
	}
}

/** A Janus session; keeps itself alive. Emits 'gone' (reason) when it ends. */
export class JanusSession extends EventEmitter {
	readonly handles = new Map<number, JanusHandle>();
	private keepalive: NodeJS.Timeout | null;
	private ended = false;

	constructor(
		readonly client: JanusClient,
		readonly id: number,
		keepaliveMs: number
	) {
		super();
		this.keepalive = setInterval(() => {
			this.client.send({ janus: 'keepalive', session_id: this.id }, true).catch(() => {});
		}, keepaliveMs);
		this.keepalive.unref();
	}

	get isAlive(): boolean {
		return !this.ended && this.client.isOpen;
	}

	async attach(plugin: string): Promise<JanusHandle> {
		const r = await this.client.send({ janus: 'attach', session_id: this.id, plugin });
		const h = new JanusHandle(this, r.data.id);
		this.handles.set(h.id, h);
		return h;
	}

	async destroy(): Promise<void> {
		if (this.ended) return;
		try {
			await this.client.send({ janus: 'destroy', session_id: this.id }, false, 5_000);
		} finally {
			this.gone('destroyed');
		}
	}

	/** @internal */
	dispatch(msg: Json) {
		if (msg.janus === 'timeout') {
			this.gone('timeout');
			return;
		}
		const h = this.handles.get(msg.sender);
		h?.dispatch(msg);
	}

	/** @internal */
	gone(reason: string) {
		if (this.ended) return;
		this.ended = true;
		if (this.keepalive) clearInterval(this.keepalive);
		this.keepalive = null;
		this.client.sessions.delete(this.id);
		for (const h of this.handles.values()) h.gone(reason);
		this.handles.clear();
		this.emit('gone', reason);
	}
}

export interface JanusJsep {
	type: 'offer' | 'answer';
	sdp: string;
}

export interface JanusEvent {
	/** plugindata.data */
	data: Json;
	jsep?: JanusJsep;
}

/**
 * A handle attached to a plugin. Events: 'webrtcup', 'hangup' (reason),
 * 'media' ({type, receiving}), 'slowlink', 'event' (JanusEvent: plugin events
 * without a transaction), 'trickle' (candidate), 'detached' (reason, also when
 * the session or connection goes away).
 */
export class JanusHandle extends EventEmitter {
	private ended = false;

	constructor(
		readonly session: JanusSession,
		readonly id: number
	) {
		super();
	}

	get isAttached(): boolean {
		return !this.ended && this.session.isAlive;
	}

	/**
	 * A plugin message. Synchronous plugin requests resolve with their
	 * `success` data; asynchronous ones with the event that follows the ack
	 * (and its jsep). A plugin-level error rejects with JanusError.
	 */
	async message(body: Json, jsep?: JanusJsep, timeoutMs?: number): Promise<JanusEvent> {
		const r = await this.session.client.send({ janus: 'message', session_id: this.session.id, handle_id: this.id, body, ...(jsep ? { jsep } : {}) }, false, timeoutMs);
		return { data: r.plugindata?.data ?? {}, jsep: r.jsep };
	}

	/** Trickle one candidate ({candidate, sdpMid, sdpMLineIndex}) or, with null, end-of-candidates. */
	async trickle(candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } | null): Promise<void> {
		await this.session.client.send({ janus: 'trickle', session_id: this.session.id, handle_id: this.id, candidate: candidate ?? { completed: true } }, true);
	}

	async hangup(): Promise<void> {
		if (!this.isAttached) return;
		await this.session.client.send({ janus: 'hangup', session_id: this.session.id, handle_id: this.id }, false, 5_000);
	}

	async detach(): Promise<void> {
		if (!this.isAttached) {
			this.gone('detached');
			return;
		}
		try {
			await this.session.client.send({ janus: 'detach', session_id: this.session.id, handle_id: this.id }, false, 5_000);
		} finally {
			this.gone('detached');
		}
	}

	/** @internal */
	dispatch(msg: Json) {
		switch (msg.janus) {
			case 'webrtcup':
				this.emit('webrtcup');
				break;
			case 'hangup':
				this.emit('hangup', msg.reason ?? 'hangup');
				break;
			case 'media':
				this.emit('media', { type: msg.type, mid: msg.mid, receiving: msg.receiving });
				break;
			case 'slowlink':
				this.emit('slowlink', msg);
				break;
			case 'trickle':
				this.emit('trickle', msg.candidate);
				break;
			case 'detached':
				this.gone('detached by janus');
				break;
			case 'event':
				this.emit('event', { data: msg.plugindata?.data ?? {}, jsep: msg.jsep } satisfies JanusEvent);
				break;
		}
	}

	/** @internal */
	gone(reason: string) {
		if (this.ended) return;
		this.ended = true;
		this.session.handles.delete(this.id);
		this.emit('detached', reason);
	}
}

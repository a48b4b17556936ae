// WS /api/proxy/ws?id=&token=: the protocol of go2rtc's video-stream.js player.
// JSON text frames {type, value}; media as binary frames.
//   webrtc/offer → webrtc/answer; webrtc/candidate both ways
//   mse (codecs) → mse (MIME type), then binary init + fragments from a keyframe
//   hls (codecs) → hls (a master playlist)
//   mp4 (codecs) → binary one-keyframe MP4s, one per GOP
// Failures: {"type":"error","value":"<request type>: <message>"}.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { authenticateUpgrade, refuseUpgrade } from '../http/upgrade';
import { ApiError } from '../http/api';
import { httpBase } from '../http/public-url';
import { liveCamera } from './access';
import { playableTracks } from './codecs';
import { startFmp4Feed } from './fmp4-feed';
import { keyframeMp4 } from './keyframe';
import { watch } from './webrtc';
import { hlsMaster } from './hls';
import { tokenFor } from '../auth/login';
import type { Principal } from '../auth/principal';
import { live } from '../hub/live';
import type { CameraStream } from '../hub/stream';
import type { WebRtcViewer } from '../sfu/sfu';

const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
// A client this far behind skips to the next keyframe.
const SEND_HIGH_WATER = 4 * 1024 * 1024;
const WEBRTC_TIMEOUT_MS = 15_000;

/** The origin HTTP URLs handed to this client use: PUBLIC_URL, or the Host it connected to. */
function httpBaseOf(req: IncomingMessage, url: URL): string {
	return httpBase(new URL(url.pathname, `http://${req.headers.host ?? 'localhost'}`));
}

/** Handles a WebSocket upgrade for /api/proxy/ws; other paths get 404. */
export async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
	socket.on('error', () => {});
	const url = new URL(req.url ?? '/', 'http://localhost');
	if (url.pathname !== '/api/proxy/ws') return refuseUpgrade(socket, 404, 'not found');
	try {
		const { user, stream } = await liveCamera(await authenticateUpgrade(req, url), url.searchParams.get('id'));
		wss.handleUpgrade(req, socket, head, (ws) => new WsSession(ws, stream, user, req.socket.remoteAddress ?? '', httpBaseOf(req, url)));
	} catch (e) {
		if (e instanceof ApiError) return refuseUpgrade(socket, e.status, e.message, e.headers);
		console.error('ws upgrade:', e);
		refuseUpgrade(socket, 500, 'internal error');
	}
}

class WsSession {
	private stops: (() => void)[] = [];
	private viewer?: WebRtcViewer;
	/** Candidates the player trickles while its offer is still being answered. */
	private early?: (string | null)[];

	constructor(
		private readonly ws: WebSocket,
		private readonly stream: CameraStream,
		private readonly user: Principal & { token?: string },
		private readonly remoteAddress: string,
		private readonly base: string
	) {
		ws.on('message', (data, isBinary) => {
			if (isBinary) return this.error('binary', 'binary messages are not accepted');
			let msg: { type?: unknown; value?: unknown };
			try {
				msg = JSON.parse(data.toString());
			} catch {
				return this.error('message', 'not JSON');
			}
			const type = typeof msg?.type === 'string' ? msg.type : '';
			this.handle(type, msg.value).catch((e) => this.error(type, e instanceof Error ? e.message : String(e)));
		});
		ws.on('close', () => this.close());
		ws.on('error', () => this.close());
	}

	private send(type: string, value: unknown) {
		if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify({ type, value }));
	}

	private error(type: string, message: string) {
		this.send('error', `${type}: ${message}`);
	}

	private async handle(type: string, value: unknown) {
		const codecs = typeof value === 'string' ? value : '';
		switch (type) {
			case 'mse':
				return this.mse(codecs);
			case 'mp4':
				return this.mp4();
			case 'hls':
				return this.send('hls', await hlsMaster(this.stream, this.base, this.user.token ?? (await tokenFor(this.user)), this.remoteAddress));
			case 'webrtc/offer':
				if (typeof value !== 'string' || !value.startsWith('v=')) throw new Error('value must be an SDP offer');
				return this.webrtc(value);
			case 'webrtc/candidate': {
				const candidate = typeof value === 'string' && value ? value : null;
				if (this.early) return void this.early.push(candidate);
				if (!this.viewer) throw new Error('no WebRTC session: send webrtc/offer first');
				return this.viewer.addRemoteCandidate(candidate);
			}
			default:
				throw new Error(type ? 'unknown request type' : 'a message needs a "type"');
		}
	}

	private mse(codecs: string) {
		this.stops.push(
			startFmp4Feed(this.stream, {
				protocol: 'mse',
				remoteAddress: this.remoteAddress,
				pick: (tracks) => playableTracks(tracks, codecs),
				start: (mime) => this.send('mse', mime),
				send: (data) => this.ws.readyState === this.ws.OPEN && this.ws.send(data),
				congested: () => this.ws.bufferedAmount > SEND_HIGH_WATER,
				// New codecs: the player must set up MSE again; it reconnects by itself.
				restart: () => this.ws.close(1012, 'stream restarted'),
				unplayable: (message) => this.error('mse', message)
			})
		);
	}

	/** One self-contained keyframe MP4 per GOP. */
	private mp4() {
		const sendKeyframe = () => {
			const k = this.stream.keyframe();
			if (k && this.ws.bufferedAmount < SEND_HIGH_WATER) this.ws.send(keyframeMp4(k));
		};
		sendKeyframe();
		this.stops.push(
			live.attach(this.stream.id, {
				protocol: 'mp4-frames',
				remoteAddress: this.remoteAddress,
				startedAt: new Date(),
				bytes: 0,
				onFragment: (f) => f.keyframe && sendKeyframe()
			})
		);
	}

	private async webrtc(offer: string) {
		if (this.viewer || this.early) throw new Error('a WebRTC session is already open');
		this.early = [];
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error('camera did not start in time')), WEBRTC_TIMEOUT_MS);
		});
		const watching = watch(this.stream, offer, this.remoteAddress);
		try {
			this.viewer = await Promise.race([watching, timeout]);
		} catch (e) {
			this.early = undefined;
			// A viewer that arrives after the timeout is not wanted any more.
			void watching.then((v) => v.close(), () => {});
			throw e;
		} finally {
			clearTimeout(timer);
		}
		const early = this.early;
		this.early = undefined;
		if (this.ws.readyState !== this.ws.OPEN) return void this.viewer.close();
		this.viewer.onClose(() => this.ws.close(1000, 'webrtc closed'));
		this.send('webrtc/answer', this.viewer.answer);
		for (const c of early) await this.viewer.addRemoteCandidate(c);
	}

	private close() {
		for (const stop of this.stops.splice(0)) stop();
		void this.viewer?.close();
		this.viewer = undefined;
	}
}

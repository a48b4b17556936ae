// Live FLV for one client (document 001): HTTP-FLV (GET /streams/<name or
// id>.flv) and WebSocket-FLV (the same path, upgraded). The FLV header and
// the decoder configurations first, then tags from the cached keyframe on;
// a client too far behind skips to the next keyframe, as the fMP4 feed does.
// H.264 + AAC only (media/flv); other audio is left out, other video refused.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { FlvMuxer } from '../media/flv';
import type { Fragment, InitSegment } from '../media/types';
import type { CameraStream, Consumer } from '../hub/stream';
import { live } from '../hub/live';
import { db } from '../db/client';
import { authenticate, requireUser, type AuthState } from '../auth/principal';
import { SESSION_COOKIE } from '../auth/session';
import { cookieValue } from '../http/cookies';
import { ApiError, notFound } from '../http/api';
import { CAMERA_ID, type Camera } from '../cameras/cameras';
import { liveCamera, offlineError } from './access';
import type { FeedTarget } from './fmp4-feed';

/** What an FLV client is: the fMP4 feed's target, without codec picking (FLV decides) or a MIME type. */
export type FlvFeedTarget = Omit<FeedTarget, 'pick' | 'start'>;

/** How a feed turns the hub's init and fragments into one client's bytes. */
export interface FeedFormat {
	/** The first bytes for this init; throws, with a message for the client, when it can't be played. */
	begin(init: InitSegment): Buffer[];
	/** The bytes for one fragment (empty: nothing to send). */
	fragment(f: Fragment): Buffer;
}

/**
 * Keyframe-gated delivery, as the fMP4 feed does it: start with the cached
 * GOP (or wait for the next keyframe), skip to the next keyframe while the
 * client is congested, and make it start over on a new init. Format-neutral:
 * the fMP4 feed could run on it too.
 */
export function startGopFeed(stream: CameraStream, target: FlvFeedTarget, format: FeedFormat): () => void {
	let begun = false;
	let needKeyframe = true;
	let unplayable = false;

	const send = (data: Buffer) => {
		consumer.bytes += data.length;
		target.send(data);
	};

	const begin = (init: InitSegment) => {
		let first: Buffer[];
		try {
			first = format.begin(init);
		} catch (e) {
			unplayable = true;
			target.unplayable(e instanceof Error ? e.message : String(e));
			return false;
		}
		begun = true;
		for (const data of first) send(data);
		return true;
	};

	const deliver = (f: Fragment) => {
		if (needKeyframe && !f.keyframe) return;
		if (target.congested()) {
			needKeyframe = true;
			return;
		}
		needKeyframe = false;
		const data = format.fragment(f);
		if (data.length) send(data);
	};

	const consumer: Consumer = {
		protocol: target.protocol,
		remoteAddress: target.remoteAddress,
		startedAt: new Date(),
		bytes: 0,
		onInit: () => {
			if (begun) target.restart();
		},
		onFragment: (f) => {
			if (unplayable) return;
			if (!begun) {
				if (!stream.init || !f.keyframe || !begin(stream.init)) return;
			}
			deliver(f);
		}
	};
	const detach = live.attach(stream.id, consumer);
	if (stream.init && stream.cachedGop.length && begin(stream.init)) for (const f of stream.cachedGop) deliver(f);
	return detach;
}

/** FLV from the cached keyframe: the file header, onMetaData and the sequence headers, then the tags of each fragment. */
export function startFlvFeed(stream: CameraStream, target: FlvFeedTarget): () => void {
	let muxer: FlvMuxer | undefined;
	return startGopFeed(stream, target, {
		begin(init) {
			muxer = new FlvMuxer(init.tracks);
			return [muxer.fileHeader(), muxer.configTags()];
		},
		fragment: (f) => muxer!.samples(f.samples)
	});
}

/**
 * The camera behind /streams/<path>: `<id>.flv` or `<original name>.flv`
 * (e.g. room/door.flv), for a signed-in user granted it. Unknown and not
 * granted are the same 404, and no answer names the camera.
 */
export async function flvCamera(auth: AuthState, streamPath: string): Promise<{ camera: Camera; stream: CameraStream }> {
	requireUser(auth);
	const m = /^(.+)\.flv$/.exec(streamPath);
	if (!m) throw notFound();
	const ref = m[1];
	const id = CAMERA_ID.test(ref) ? ref : (await db.camera.findUnique({ where: { name: ref }, select: { id: true } }))?.id;
	if (!id) throw notFound('camera not found');
	const { camera, stream } = await liveCamera(auth, id);
	// What can be told before streaming starts: a pushed camera with no publisher, a codec FLV can't carry.
	if (camera.source === 'push' && (stream.status.state === 'offline' || stream.status.state === 'error')) throw offlineError(stream);
	const video = stream.init?.tracks.find((t) => t.kind === 'video');
	if (video && video.codec !== 'h264') throw new ApiError(415, 'FLV carries H.264 video only: use /api/proxy/mp4 or HLS for this camera');
	return { camera, stream };
}

const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
// A client this far behind skips to the next keyframe.
const WS_HIGH_WATER = 4 * 1024 * 1024;
const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 415: 'Unsupported Media Type', 503: 'Service Unavailable' };

function refuse(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}) {
	const body = JSON.stringify({ error: message });
	const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
	socket.end(
		`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`
	);
}

/** WebSocket-FLV: an upgrade of /streams/<name or id>.flv; binary messages, the FLV header first, then whole tags. */
export async function handleFlvUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
	socket.on('error', () => {});
	try {
		const url = new URL(req.url ?? '/', 'http://localhost');
		if (!url.pathname.startsWith('/streams/')) return refuse(socket, 404, 'not found');
		let streamPath: string;
		try {
			streamPath = decodeURIComponent(url.pathname.slice('/streams/'.length));
		} catch {
			return refuse(socket, 404, 'not found');
		}
		const auth = await authenticate({
			authorization: req.headers.authorization ?? null,
			token: url.searchParams.get('token'),
			sessionToken: cookieValue(req.headers.cookie, SESSION_COOKIE)
		});
		const { stream } = await flvCamera(auth, streamPath);
		const remoteAddress = req.socket.remoteAddress ?? '';
		wss.handleUpgrade(req, socket, head, (ws) => {
			const stop = startFlvFeed(stream, {
				protocol: 'ws-flv',
				remoteAddress,
				send: (data) => ws.readyState === ws.OPEN && ws.send(data),
				congested: () => ws.bufferedAmount > WS_HIGH_WATER,
				restart: () => ws.close(1012, 'stream restarted'),
				unplayable: (message) => ws.close(1003, message.slice(0, 120))
			});
			ws.on('close', stop);
			ws.on('error', stop);
		});
	} catch (e) {
		if (e instanceof ApiError) return refuse(socket, e.status, e.message, e.headers);
		console.error('ws-flv upgrade:', e);
		refuse(socket, 500, 'internal error');
	}
}

// Live FLV for one client (document 001): HTTP-FLV (GET /streams/<name or
// id>.flv) and WebSocket-FLV (the same path, upgraded). The FLV header and
// the decoder configurations first, then tags from the cached keyframe on;
// a client too far behind skips to the next keyframe, as the fMP4 feed does.
// H.264 + AAC only (media/flv); other audio is left out, other video refused.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { FlvMuxer } from '../media/flv';
import type { CameraStream } from '../hub/stream';
import { db } from '../db/client';
import { requireUser, type AuthState } from '../auth/principal';
import { authenticateUpgrade, refuseUpgrade } from '../http/upgrade';
import { ApiError, notFound } from '../http/api';
import { CAMERA_ID, type Camera } from '../cameras/cameras';
import { liveCamera, offlineError } from './access';
import { startGopFeed, type FeedTarget } from './gop-feed';

/** FLV from the cached keyframe: the file header, onMetaData and the sequence headers, then the tags of each fragment. */
export function startFlvFeed(stream: CameraStream, target: FeedTarget): () => void {
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
/** WebSocket-FLV: an upgrade of /streams/<name or id>.flv; binary messages, the FLV header first, then whole tags. */
export async function handleFlvUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
	socket.on('error', () => {});
	try {
		const url = new URL(req.url ?? '/', 'http://localhost');
		if (!url.pathname.startsWith('/streams/')) return refuseUpgrade(socket, 404, 'not found');
		let streamPath: string;
		try {
			streamPath = decodeURIComponent(url.pathname.slice('/streams/'.length));
		} catch {
			return refuseUpgrade(socket, 404, 'not found');
		}
		const { stream } = await flvCamera(await authenticateUpgrade(req, url), streamPath);
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
		if (e instanceof ApiError) return refuseUpgrade(socket, e.status, e.message, e.headers);
		console.error('ws-flv upgrade:', e);
		refuseUpgrade(socket, 500, 'internal error');
	}
}

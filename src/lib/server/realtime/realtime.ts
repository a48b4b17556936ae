// socket.io lives on the same HTTP server and port as the app (server.js).
// Only signed-in users connect: a JWT in the handshake's auth, or the session
// cookie. Each socket hears the live status of the cameras its user may see.
import type { Server, Socket } from 'socket.io';
import { authenticate, seesAllCameras, type Principal } from '../auth/principal';
import { SESSION_COOKIE } from '../auth/session';
import { cookieValue } from '../http/cookies';
import { visibleCameras } from '../cameras/cameras';
import { live } from '../hub/live';
import { recorders } from '../record/recorders';
import { watch } from '../live/webrtc';
import type { WebRtcViewer } from '../sfu/sfu';
import type { StreamStatus } from '../hub/stream';

export function io(): Server | undefined {
	return globalThis.__vantageIo;
}

async function visibleIds(user: Principal): Promise<Set<string> | 'all'> {
	return seesAllCameras(user) ? 'all' : new Set((await visibleCameras(user)).map((c) => c.id));
}

export function attachRealtime() {
	const server = io();
	if (!server) return;
	server.use(async (socket, next) => {
		const auth = await authenticate({
			token: typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : null,
			sessionToken: cookieValue(socket.handshake.headers.cookie, SESSION_COOKIE)
		}).catch(() => null);
		if (!auth?.user) return next(new Error('unauthorized'));
		socket.data.user = auth.user;
		socket.data.cameras = await visibleIds(auth.user);
		next();
	});
	server.on('connection', async (socket: Socket) => {
		socket.emit('hello', { username: socket.data.user.username });
		signalWebRtc(socket);
		// The current status of every camera first: what changed before this (re)connection is not lost.
		for (const camera of await visibleCameras(socket.data.user)) {
			const status = live.status(camera.id);
			if (status) emitStatus(socket, camera.id, status);
		}
	});
	const broadcast = (id: string, status: StreamStatus | undefined) => {
		if (!status) return;
		for (const socket of server.sockets.sockets.values()) {
			const cams = socket.data.cameras as Set<string> | 'all' | undefined;
			if (cams === 'all' || cams?.has(id)) emitStatus(socket, id, status);
		}
	};
	live.on('status', broadcast);
	// A recording starting or stopping changes the camera's colour on the pages.
	recorders.on('recording', (id) => broadcast(id, live.status(id)));
}

/** "camera:status" {id, ...status}; the error text (it may name the source's host) for admins only. */
function emitStatus(socket: Socket, id: string, status: StreamStatus) {
	const admin = (socket.data.user as Principal).role === 'admin';
	socket.emit('camera:status', { id, ...status, recording: recorders.isRecording(id), error: admin || !status.error ? status.error : 'camera unreachable' });
}

type Ack = (reply: { answer?: string; error?: string }) => void;

/**
 * WebRTC signalling for the app's own player: "webrtc:offer" {id, sdp} is
 * acknowledged with {answer} or {error}; "webrtc:candidate" {id, candidate};
 * "webrtc:close" {id}. One viewer per camera per socket; all end with the socket.
 */
function signalWebRtc(socket: Socket) {
	const viewers = new Map<string, WebRtcViewer>();
	// Candidates trickled while an offer is still being answered, per camera.
	const early = new Map<string, (string | null)[]>();
	const allowed = (id: unknown): id is string => {
		const cams = socket.data.cameras as Set<string> | 'all';
		return typeof id === 'string' && (cams === 'all' || cams.has(id)) && !!live.stream(id);
	};
	socket.on('webrtc:offer', async (msg: { id?: unknown; sdp?: unknown }, ack?: Ack) => {
		const reply: Ack = typeof ack === 'function' ? ack : () => {};
		if (!allowed(msg?.id)) return reply({ error: 'camera not found' });
		if (typeof msg.sdp !== 'string' || !msg.sdp.startsWith('v=')) return reply({ error: 'sdp must be an SDP offer' });
		const id = msg.id;
		await viewers.get(id)?.close();
		early.set(id, []);
		try {
			const viewer = await watch(live.stream(id)!, msg.sdp, socket.handshake.address);
			viewers.set(id, viewer);
			viewer.onClose(() => viewers.get(id) === viewer && viewers.delete(id));
			reply({ answer: viewer.answer });
			for (const c of early.get(id) ?? []) await viewer.addRemoteCandidate(c).catch(() => {});
		} catch (e) {
			reply({ error: (e as Error).message });
		} finally {
			early.delete(id);
		}
	});
	socket.on('webrtc:candidate', (msg: { id?: unknown; candidate?: unknown }) => {
		if (typeof msg?.id !== 'string') return;
		const candidate = typeof msg.candidate === 'string' && msg.candidate ? msg.candidate : null;
		const pending = early.get(msg.id);
		if (pending) pending.push(candidate);
		else void viewers.get(msg.id)?.addRemoteCandidate(candidate).catch(() => {});
	});
	socket.on('webrtc:close', (msg: { id?: unknown }) => {
		if (typeof msg?.id === 'string') void viewers.get(msg.id)?.close();
	});
	socket.on('disconnect', () => {
		for (const v of viewers.values()) void v.close();
		viewers.clear();
	});
}

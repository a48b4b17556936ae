// socket.io lives on the same HTTP server and port as the app (server.js).
// Only signed-in users connect: a JWT in the handshake's auth, or the session
// cookie. Each socket hears the live status of the cameras its user may see.
import type { Server, Socket } from 'socket.io';
import { authenticate, seesAllCameras, type Principal } from '../auth/principal';
import { SESSION_COOKIE } from '../auth/session';
import { cookieValue } from '../http/cookies';
import { visibleCameras } from '../cameras/cameras';
import { live } from '../hub/live';

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
	server.on('connection', (socket: Socket) => {
		socket.emit('hello', { username: socket.data.user.username });
	});
	live.on('status', (id, status) => {
		for (const socket of server.sockets.sockets.values()) {
			const cams = socket.data.cameras as Set<string> | 'all' | undefined;
			if (cams === 'all' || cams?.has(id)) socket.emit('camera:status', { id, ...status });
		}
	});
}

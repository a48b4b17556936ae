// socket.io lives on the same HTTP server and port as the app (server.js).
// Only signed-in users connect: a JWT in the handshake's auth, or the session cookie.
import type { Server } from 'socket.io';
import { verifyToken } from '../auth/jwt';
import { SESSION_COOKIE, validateSessionToken } from '../auth/session';
import { db } from '../db/client';

export function io(): Server | undefined {
	return globalThis.__vantageIo;
}

function cookie(header: string | undefined, name: string): string | undefined {
	for (const part of (header ?? '').split(';')) {
		const [k, ...v] = part.trim().split('=');
		if (k === name) return decodeURIComponent(v.join('='));
	}
}

async function userFor(token: unknown, cookieHeader: string | undefined) {
	if (typeof token === 'string') {
		const r = await verifyToken(token);
		if (!r.ok) return null;
		const user = await db.user.findUnique({ where: { id: r.claims.sub } });
		return user && user.tokenVersion === r.claims.tv ? user : null;
	}
	const sessionToken = cookie(cookieHeader, SESSION_COOKIE);
	return sessionToken ? ((await validateSessionToken(sessionToken))?.user ?? null) : null;
}

export function attachRealtime() {
	const server = io();
	if (!server) return;
	server.use(async (socket, next) => {
		const user = await userFor(socket.handshake.auth?.token, socket.handshake.headers.cookie).catch(() => null);
		if (!user) return next(new Error('unauthorized'));
		socket.data.user = { id: user.id, username: user.username, role: user.role };
		next();
	});
	server.on('connection', (socket) => {
		socket.emit('hello', { username: socket.data.user.username });
	});
}

// An RTMP server socket: each connection an RtmpSession, with the time limits
// a public port needs. One connection's failure never reaches another, and
// never throws out. Pure: no app imports (the handler brings the decisions).
import { createServer, type Server, type Socket } from 'node:net';
import { RtmpSession, type RtmpPublishHandler, type RtmpSessionOptions } from './session';

export interface RtmpServeOptions extends RtmpSessionOptions {
	/** C0+C1 and C2 must arrive within this (default 10 s). */
	handshakeTimeoutMs?: number;
	/** A connection silent this long is closed (default 30 s). */
	idleTimeoutMs?: number;
	/** How long a closing connection may take to flush before it is destroyed (default 2 s). */
	lingerMs?: number;
}

/** Runs one RTMP connection on a socket until either side ends it. */
export function serveRtmpConnection(socket: Socket, handler: RtmpPublishHandler, options: RtmpServeOptions = {}): RtmpSession {
	const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
	const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
	const lingerMs = options.lingerMs ?? 2000;
	socket.setNoDelay(true);
	const session = new RtmpSession(
		handler,
		{
			write: (data) => {
				if (!socket.destroyed && socket.writable) socket.write(data);
			},
			end: () => {
				clearTimeout(handshakeTimer);
				if (socket.destroyed) return;
				socket.end();
				setTimeout(() => socket.destroy(), lingerMs).unref();
			}
		},
		{ remoteAddress: socket.remoteAddress ?? '', ...options }
	);
	const handshakeTimer = setTimeout(() => {
		if (!session.handshakeDone) {
			handler.log?.('closing: handshake timed out');
			session.close('handshake timed out');
			socket.destroy();
		}
	}, handshakeTimeoutMs);
	handshakeTimer.unref();
	socket.setTimeout(idleTimeoutMs, () => {
		handler.log?.('closing: no data for too long');
		session.close('publisher timed out');
		socket.destroy();
	});
	socket.on('data', (data: Buffer) => session.push(data));
	socket.on('error', () => {}); // 'close' follows
	socket.on('end', () => session.close('publisher disconnected'));
	socket.on('close', () => {
		clearTimeout(handshakeTimer);
		session.close('publisher disconnected');
	});
	return session;
}

/** A TCP server whose every connection is an RTMP publish session for `handler(socket)`. */
export function createRtmpServer(handlerFor: (socket: Socket) => RtmpPublishHandler, options: RtmpServeOptions & { maxConnections?: number } = {}): Server {
	const server = createServer({ noDelay: true }, (socket) => {
		try {
			serveRtmpConnection(socket, handlerFor(socket), options);
		} catch {
			socket.destroy();
		}
	});
	server.maxConnections = options.maxConnections ?? 1000;
	return server;
}

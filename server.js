// Production entry: the adapter-node handler and socket.io on one HTTP server.
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';

process.env.VANTAGE_ROOT ??= dirname(fileURLToPath(import.meta.url));
// adapter-node assumes https unless told: PUBLIC_URL fixes the origin; otherwise
// the protocol is what this socket speaks (set PROTOCOL_HEADER behind a TLS proxy).
if (process.env.PUBLIC_URL && !process.env.ORIGIN) process.env.ORIGIN = new URL(process.env.PUBLIC_URL).origin;
const ownProtocolHeader = !process.env.ORIGIN && !process.env.PROTOCOL_HEADER;
if (ownProtocolHeader) process.env.PROTOCOL_HEADER = 'x-vantage-protocol';

const httpServer = createServer();
// Created before the app is imported: the app's start-up (hooks init) attaches its auth and events.
// destroyUpgrade: false leaves other WebSocket paths (/api/proxy/ws, /streams/…) to the app.
globalThis.__vantageIo = new Server(httpServer, { serveClient: false, destroyUpgrade: false });
httpServer.on('upgrade', (req, socket, head) => {
	if (req.url?.startsWith('/socket.io/')) return;
	if (globalThis.__vantageUpgrade) globalThis.__vantageUpgrade(req, socket, head);
	else socket.destroy();
});

const { handler } = await import('./build/handler.js');
httpServer.on('request', (req, res) => {
	if (ownProtocolHeader) req.headers['x-vantage-protocol'] = 'http';
	handler(req, res);
});

const port = Number(process.env.PORT || 1984);
const host = process.env.HOST || '0.0.0.0';
httpServer.listen(port, host, () => console.log(`Vantage listening on http://${host}:${port}`));

// One camera's failure must not take every other camera down with it.
process.on('unhandledRejection', (reason) => console.error('unhandled rejection:', reason));
process.on('uncaughtException', (err) => console.error('uncaught exception:', err));

function shutdown(signal) {
	console.log(`${signal}: shutting down`);
	globalThis.__vantageIo.close();
	httpServer.close(() => process.exit(0));
	httpServer.closeIdleConnections();
	setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

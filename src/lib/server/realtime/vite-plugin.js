import { Server } from 'socket.io';

/**
 * In `vite dev`, hosts socket.io on the dev server, as server.js does in production.
 * @returns {import('vite').Plugin}
 */
export function realtimeDevPlugin() {
	return {
		name: 'vantage-realtime',
		configureServer(server) {
			if (!server.httpServer) return;
			globalThis.__vantageIo = new Server(server.httpServer, { destroyUpgrade: false });
			server.httpServer.on('upgrade', (req, socket, head) => {
				if (req.url?.startsWith('/api/') || req.url?.startsWith('/streams/')) globalThis.__vantageUpgrade?.(req, socket, head);
			});
		}
	};
}

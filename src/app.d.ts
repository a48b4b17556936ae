import type { AuthState } from '$lib/server/auth/principal';

declare global {
	namespace App {
		interface Locals {
			/** Who is calling; resolved on first use, once per request. */
			auth(): Promise<AuthState>;
		}
	}
	// socket.io server, created by server.js (or the dev plugin) on the HTTP server.
	var __vantageIo: import('socket.io').Server | undefined;
	// WebSocket upgrades that aren't socket.io's, handed from server.js to the app.
	var __vantageUpgrade:
		| ((req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void)
		| undefined;
}

export {};

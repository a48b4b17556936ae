// WebSocket upgrades bypass SvelteKit: who is asking, and refusing them with
// a plain HTTP answer in the API's error envelope.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { authenticate } from '../auth/principal';
import { SESSION_COOKIE } from '../auth/session';
import { cookieValue } from './cookies';

const REASONS: Record<number, string> = {
	400: 'Bad Request',
	401: 'Unauthorized',
	404: 'Not Found',
	415: 'Unsupported Media Type',
	500: 'Internal Server Error',
	503: 'Service Unavailable'
};

export function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}) {
	const body = JSON.stringify({ error: message });
	const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
	socket.end(
		`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`
	);
}

/** The caller of an upgrade: Authorization header, ?token=, or the session cookie. */
export function authenticateUpgrade(req: IncomingMessage, url: URL) {
	return authenticate({
		authorization: req.headers.authorization ?? null,
		token: url.searchParams.get('token'),
		sessionToken: cookieValue(req.headers.cookie, SESSION_COOKIE)
	});
}

// Who is calling: a JWT (Authorization: Bearer, or ?token= for links and
// WebSockets that can't send headers), or the browser's session cookie.
import { ApiError } from '../http/api';
import { db } from '../db/client';
import { verifyToken } from './jwt';
import { validateSessionToken } from './session';

export type Role = 'admin' | 'operator' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'operator', 'viewer'];

export interface Principal {
	id: string;
	username: string;
	role: Role;
	allCameras: boolean;
	tokenVersion: number;
	/** The JWT the request came with, if any (reused in the stream URLs we hand out). */
	token?: string;
	via: 'token' | 'session';
}

export type AuthState = { user: Principal } | { user: null; problem: string };

export interface Credentials {
	/** The Authorization header, if any. */
	authorization?: string | null;
	/** A token from the query string or a handshake, if any. */
	token?: string | null;
	/** The session cookie's value, if any. */
	sessionToken?: string;
}

export async function authenticate({ authorization, token: given, sessionToken }: Credentials): Promise<AuthState> {
	let token: string | null = null;
	if (authorization != null) {
		const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
		if (!m) return { user: null, problem: 'malformed Authorization header: expected "Bearer <token>"' };
		token = m[1];
	} else if (given != null) {
		token = given;
	}
	if (token !== null) {
		const result = await verifyToken(token);
		if (!result.ok) return { user: null, problem: result.reason };
		const user = await db.user.findUnique({ where: { id: result.claims.sub } });
		// A deleted user or a changed password retires the token.
		if (!user || user.tokenVersion !== result.claims.tv) return { user: null, problem: 'token revoked' };
		return { user: toPrincipal(user, 'token', token) };
	}
	if (sessionToken) {
		const session = await validateSessionToken(sessionToken);
		if (session) return { user: toPrincipal(session.user, 'session') };
	}
	return { user: null, problem: 'authentication required' };
}

function toPrincipal(
	u: { id: string; username: string; role: string; allCameras: boolean; tokenVersion: number },
	via: Principal['via'],
	token?: string
): Principal {
	return { id: u.id, username: u.username, role: u.role as Role, allCameras: u.allCameras, tokenVersion: u.tokenVersion, token, via };
}

export function requireUser(auth: AuthState): Principal {
	if (!auth.user) throw new ApiError(401, auth.problem, { 'WWW-Authenticate': 'Bearer' });
	return auth.user;
}

export function requireAdmin(auth: AuthState): Principal {
	const user = requireUser(auth);
	if (user.role !== 'admin') throw new ApiError(403, 'admin rights required');
	return user;
}

export const seesAllCameras = (u: Principal) => u.role === 'admin' || u.allCameras;

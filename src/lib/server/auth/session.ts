// Browser sessions as lucia's author recommends since lucia v3: a random token
// in an HttpOnly cookie, stored only as its SHA-256, sliding 30-day expiry.
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { Cookies } from '@sveltejs/kit';
import { db } from '../db/client';

const DAY = 24 * 60 * 60 * 1000;
const LIFETIME = 30 * DAY;
export const SESSION_COOKIE = 'vantage_session';

const idOf = (token: string) => encodeHexLowerCase(sha256(new TextEncoder().encode(token)));

export function generateSessionToken(): string {
	const bytes = new Uint8Array(20);
	crypto.getRandomValues(bytes);
	return encodeBase32LowerCaseNoPadding(bytes);
}

export async function createSession(token: string, userId: string) {
	return db.session.create({ data: { id: idOf(token), userId, expiresAt: new Date(Date.now() + LIFETIME) } });
}

/** The session's user, or null when the token is unknown or expired. */
export async function validateSessionToken(token: string) {
	const id = idOf(token);
	const session = await db.session.findUnique({ where: { id }, include: { user: true } });
	if (!session) return null;
	const now = Date.now();
	if (now >= session.expiresAt.getTime()) {
		await db.session.delete({ where: { id } }).catch(() => {});
		return null;
	}
	if (now >= session.expiresAt.getTime() - LIFETIME / 2) {
		session.expiresAt = new Date(now + LIFETIME);
		await db.session.update({ where: { id }, data: { expiresAt: session.expiresAt } });
	}
	return session;
}

export async function invalidateSession(token: string) {
	await db.session.deleteMany({ where: { id: idOf(token) } });
}

export function setSessionCookie(cookies: Cookies, token: string, expiresAt: Date, secure: boolean) {
	cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', path: '/', secure, expires: expiresAt });
}

export function deleteSessionCookie(cookies: Cookies) {
	cookies.delete(SESSION_COOKIE, { path: '/' });
}

/** Logs the browser out: the session row and the cookie go. */
export async function endBrowserSession(cookies: Cookies) {
	const token = cookies.get(SESSION_COOKIE);
	if (token) await invalidateSession(token);
	deleteSessionCookie(cookies);
}

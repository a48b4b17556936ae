import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { changeOwnPassword, tokenFor } from '$lib/server/auth/login';
import { createSession, generateSessionToken, setSessionCookie } from '$lib/server/auth/session';

// Change one's own password: older tokens and sessions end; the caller gets a fresh token (and session).
export const POST: RequestHandler = endpoint(async ({ request, locals, cookies, url, getClientAddress }) => {
	const user = requireUser(await locals.auth());
	const body = await readJsonObject(request);
	onlyFields(body, ['currentPassword', 'newPassword']);
	const updated = await changeOwnPassword(user.id, body.currentPassword, body.newPassword, getClientAddress());
	if (user.via === 'session') {
		const token = generateSessionToken();
		const session = await createSession(token, updated.id);
		setSessionCookie(cookies, token, session.expiresAt, url.protocol === 'https:');
	}
	return json({ token: await tokenFor(updated), username: updated.username, role: updated.role });
});

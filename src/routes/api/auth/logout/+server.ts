import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { endBrowserSession } from '$lib/server/auth/session';

// Ends the browser session. JWTs are stateless: they end at expiry or on a password change.
export const POST: RequestHandler = endpoint(async ({ cookies }) => {
	await endBrowserSession(cookies);
	return json({ ok: true });
});

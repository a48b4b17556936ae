import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, readJsonObject } from '$lib/server/http/api';
import { checkCredentials, tokenFor } from '$lib/server/auth/login';

// Document 000: {"username","password"} → {"token","username","role"}; wrong: 401 {"error"}.
export const POST: RequestHandler = endpoint(async ({ request, getClientAddress }) => {
	const body = await readJsonObject(request);
	const user = await checkCredentials(body.username, body.password, getClientAddress());
	return json({ token: await tokenFor(user), username: user.username, role: user.role });
});

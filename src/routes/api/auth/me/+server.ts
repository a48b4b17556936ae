import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';

export const GET: RequestHandler = endpoint(async ({ locals }) => {
	const user = requireUser(await locals.auth());
	return json({ username: user.username, role: user.role });
});

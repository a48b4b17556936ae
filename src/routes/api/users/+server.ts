import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireAdmin } from '$lib/server/auth/principal';
import { USER_FIELDS, createUser, listUsers, userView } from '$lib/server/users/users';

export const GET: RequestHandler = endpoint(async ({ locals }) => {
	requireAdmin(await locals.auth());
	return json(await listUsers());
});

export const POST: RequestHandler = endpoint(async ({ request, locals }) => {
	requireAdmin(await locals.auth());
	const body = await readJsonObject(request);
	onlyFields(body, USER_FIELDS);
	return json(userView(await createUser(body)), { status: 201 });
});

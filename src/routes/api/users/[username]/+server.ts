import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireAdmin } from '$lib/server/auth/principal';
import { USER_FIELDS, deleteUser, getUser, updateUser, userView } from '$lib/server/users/users';

export const GET: RequestHandler = endpoint(async ({ params, locals }) => {
	requireAdmin(await locals.auth());
	return json(userView(await getUser(params.username)));
});

export const PATCH: RequestHandler = endpoint(async ({ params, request, locals }) => {
	requireAdmin(await locals.auth());
	const body = await readJsonObject(request);
	onlyFields(body, USER_FIELDS);
	return json(userView(await updateUser(params.username, body)));
});

export const DELETE: RequestHandler = endpoint(async ({ params, locals }) => {
	const admin = requireAdmin(await locals.auth());
	await deleteUser(params.username, admin.id);
	return new Response(null, { status: 204 });
});

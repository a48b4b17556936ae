import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { LAYOUT_FIELDS, createLayout, listLayouts } from '$lib/server/layouts/layouts';

// The signed-in user's saved grid layouts.
export const GET: RequestHandler = endpoint(async ({ locals }) => {
	const user = requireUser(await locals.auth());
	return json(await listLayouts(user));
});

export const POST: RequestHandler = endpoint(async ({ request, locals }) => {
	const user = requireUser(await locals.auth());
	const body = await readJsonObject(request);
	onlyFields(body, LAYOUT_FIELDS);
	return json(await createLayout(user, body), { status: 201 });
});

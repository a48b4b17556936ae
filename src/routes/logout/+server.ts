import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endBrowserSession } from '$lib/server/auth/session';

export const POST: RequestHandler = async ({ cookies }) => {
	await endBrowserSession(cookies);
	redirect(303, '/login');
};

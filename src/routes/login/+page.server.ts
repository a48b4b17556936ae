import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { ApiError } from '$lib/server/http/api';
import { checkCredentials } from '$lib/server/auth/login';
import { createSession, generateSessionToken, setSessionCookie } from '$lib/server/auth/session';

export const load: PageServerLoad = async ({ locals }) => {
	if ((await locals.auth()).user) redirect(303, '/');
};

export const actions: Actions = {
	default: async ({ request, cookies, getClientAddress, url }) => {
		const form = await request.formData();
		const username = String(form.get('username') ?? '');
		try {
			const user = await checkCredentials(username, String(form.get('password') ?? ''), getClientAddress());
			const token = generateSessionToken();
			const session = await createSession(token, user.id);
			setSessionCookie(cookies, token, session.expiresAt, url.protocol === 'https:');
		} catch (e) {
			if (e instanceof ApiError) return fail(e.status, { username, error: e.message });
			throw e;
		}
		const next = url.searchParams.get('next');
		redirect(303, next?.startsWith('/') && !next.startsWith('//') ? next : '/');
	}
};

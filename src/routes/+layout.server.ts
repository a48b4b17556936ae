import type { LayoutServerLoad } from './$types';
import { LANGUAGE_COOKIE, requestLanguage } from '$lib/i18n';

export const load: LayoutServerLoad = async ({ locals, cookies, request }) => {
	const { user } = await locals.auth();
	return {
		user: user ? { username: user.username, role: user.role } : null,
		lang: requestLanguage(cookies.get(LANGUAGE_COOKIE), request.headers.get('accept-language'))
	};
};

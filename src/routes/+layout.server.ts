import type { LayoutServerLoad } from './$types';
import { LANGUAGE_COOKIE, isLanguage, pickLanguage } from '$lib/i18n';

export const load: LayoutServerLoad = async ({ locals, cookies, request }) => {
	const { user } = await locals.auth();
	const chosen = cookies.get(LANGUAGE_COOKIE);
	return {
		user: user ? { username: user.username, role: user.role } : null,
		lang: isLanguage(chosen) ? chosen : pickLanguage(request.headers.get('accept-language'))
	};
};

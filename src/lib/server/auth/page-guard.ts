import { error, redirect } from '@sveltejs/kit';
import type { Principal } from './principal';

/** For pages: the signed-in user, or a redirect to the login page that comes back here. */
export async function pageUser(locals: App.Locals, url: URL): Promise<Principal> {
	const { user } = await locals.auth();
	if (!user) redirect(303, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
	return user;
}

/** For admin pages: the signed-in admin; others get a 403 page. */
export async function pageAdmin(locals: App.Locals, url: URL): Promise<Principal> {
	const user = await pageUser(locals, url);
	if (user.role !== 'admin') error(403, 'Admin rights required');
	return user;
}

import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals }) => {
	const { user } = await locals.auth();
	return { user: user ? { username: user.username, role: user.role } : null };
};

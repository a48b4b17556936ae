import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCameras } from '$lib/server/cameras/cameras';
import { streamUrls } from '$lib/server/cameras/stream-urls';
import { tokenFor } from '$lib/server/auth/login';

// Document 000: every camera the user may open, with ready-to-use URLs carrying a token.
export const GET: RequestHandler = endpoint(async ({ url, locals }) => {
	const user = requireUser(await locals.auth());
	const token = user.token ?? (await tokenFor(user));
	const admin = user.role === 'admin';
	return json(
		(await visibleCameras(user)).map((c) => ({
			id: c.id,
			...(admin ? { name: c.name } : {}),
			...streamUrls(c.id, token, url)
		}))
	);
});

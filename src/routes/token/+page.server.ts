import type { PageServerLoad } from './$types';
import { pageUser } from '$lib/server/auth/page-guard';
import { tokenFor } from '$lib/server/auth/login';
import { visibleCameras } from '$lib/server/cameras/cameras';
import { streamUrls } from '$lib/server/cameras/stream-urls';
import { httpBase } from '$lib/server/http/public-url';
import { TOKEN_TTL_SECONDS } from '$lib/server/auth/jwt';

// Document 000's "Your API token" page: a fresh token, the user's camera ids
// with ready URLs, and the endpoint reference filled with this host and token.
export const load: PageServerLoad = async ({ locals, url, setHeaders }) => {
	const user = await pageUser(locals, url);
	setHeaders({ 'cache-control': 'no-store' });
	const token = await tokenFor(user);
	const cameras = await visibleCameras(user);
	return {
		token,
		expiresAt: new Date(Date.now() + TOKEN_TTL_SECONDS * 1000).toISOString(),
		base: httpBase(url),
		username: user.username,
		cameras: cameras.map((c) => ({ id: c.id, label: c.label, urls: streamUrls(c.id, token, url) }))
	};
};

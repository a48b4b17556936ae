import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { rtspUrlInfo } from '$lib/server/cameras/stream-urls';

export const GET: RequestHandler = endpoint(async ({ url, locals }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, url.searchParams.get('id'));
	return json(rtspUrlInfo(camera.id, url));
});

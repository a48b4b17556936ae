import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { badRequest, endpoint } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { daysWithFootage } from '$lib/server/record/recording-index';

// The days of a month (server time zone) with any footage of the camera.
export const GET: RequestHandler = endpoint(async ({ params, locals, url }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	const now = new Date();
	const year = url.searchParams.has('year') ? Number(url.searchParams.get('year')) : now.getFullYear();
	const month = url.searchParams.has('month') ? Number(url.searchParams.get('month')) : now.getMonth() + 1;
	if (!Number.isInteger(year) || year < 1970 || year > 9999) throw badRequest('year must be a year (e.g. 2026)');
	if (!Number.isInteger(month) || month < 1 || month > 12) throw badRequest('month must be 1 to 12');
	return json({ year, month, days: await daysWithFootage(camera.id, year, month) });
});

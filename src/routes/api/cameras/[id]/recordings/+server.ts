import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { requireUser } from '$lib/server/auth/principal';
import { visibleCamera } from '$lib/server/cameras/cameras';
import { mergeSpans, segmentsBetween } from '$lib/server/record/recording-index';
import { timeRange, tokenQuery } from '$lib/server/record/http';
import { segmentView } from '$lib/server/record/views';

// Recorded segments overlapping [start, end), and the continuous spans they make.
export const GET: RequestHandler = endpoint(async ({ params, locals, url }) => {
	const user = requireUser(await locals.auth());
	const camera = await visibleCamera(user, params.id);
	const { start, end } = timeRange(url);
	const segments = await segmentsBetween(camera.id, start, end);
	const q = tokenQuery(user);
	return json({
		start: start.toISOString(),
		end: end.toISOString(),
		segments: segments.map((s) => segmentView(s, `/api/cameras/${camera.id}/recordings/${s.id}.mp4${q}`)),
		spans: mergeSpans(segments).map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() }))
	});
});

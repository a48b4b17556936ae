import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint } from '$lib/server/http/api';
import { requireAdmin } from '$lib/server/auth/principal';
import { getCamera } from '$lib/server/cameras/cameras';
import { live } from '$lib/server/hub/live';

// Who is watching a camera right now: one entry per viewer or puller (internal feeders left out).
const INTERNAL = new Set(['probe', 'sfu', 'hls-muxer', 'record']);

export const GET: RequestHandler = endpoint(async ({ params, locals }) => {
	requireAdmin(await locals.auth());
	const camera = await getCamera(params.id);
	const consumers = [...(live.stream(camera.id)?.consumers ?? [])].filter((c) => !INTERNAL.has(c.protocol));
	return json(
		consumers.map((c) => ({ protocol: c.protocol, remoteAddress: c.remoteAddress, startedAt: c.startedAt.toISOString(), bytes: c.bytes }))
	);
});

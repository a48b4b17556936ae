import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { badRequest, endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireAdmin } from '$lib/server/auth/principal';
import { getCamera } from '$lib/server/cameras/cameras';
import { recorders } from '$lib/server/record/recorders';

const MAX_LIMIT_SEC = 7 * 86_400;

// Manual recording: start (optionally for limitSec seconds) or stop. Answers the recording status.
export const POST: RequestHandler = endpoint(async ({ params, locals, request }) => {
	requireAdmin(await locals.auth());
	const camera = await getCamera(params.id);
	const body = await readJsonObject(request);
	onlyFields(body, ['action', 'limitSec']);
	if (body.action !== 'start' && body.action !== 'stop') throw badRequest('action must be "start" or "stop"');
	const limit = body.limitSec;
	if (limit !== undefined && (body.action !== 'start' || typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT_SEC))
		throw badRequest(`limitSec goes with "start": a whole number of seconds from 1 to ${MAX_LIMIT_SEC}`);
	if (!camera.enabled && body.action === 'start') throw badRequest('camera is disabled');
	await recorders.manual(camera.id, body.action, limit as number | undefined);
	return json(recorders.status(camera.id));
});

import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireAdmin } from '$lib/server/auth/principal';
import { getCamera } from '$lib/server/cameras/cameras';
import { deleteSchedule, scheduleView, updateSchedule, SCHEDULE_FIELDS } from '$lib/server/record/schedules';

export const PATCH: RequestHandler = endpoint(async ({ params, locals, request }) => {
	requireAdmin(await locals.auth());
	const camera = await getCamera(params.id);
	const body = await readJsonObject(request);
	onlyFields(body, SCHEDULE_FIELDS);
	return json(scheduleView(await updateSchedule(camera.id, params.sid, body)));
});

export const DELETE: RequestHandler = endpoint(async ({ params, locals }) => {
	requireAdmin(await locals.auth());
	const camera = await getCamera(params.id);
	await deleteSchedule(camera.id, params.sid);
	return new Response(null, { status: 204 });
});

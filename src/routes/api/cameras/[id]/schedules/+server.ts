import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { endpoint, onlyFields, readJsonObject } from '$lib/server/http/api';
import { requireAdmin } from '$lib/server/auth/principal';
import { getCamera } from '$lib/server/cameras/cameras';
import { createSchedule, listSchedules, scheduleView, SCHEDULE_FIELDS } from '$lib/server/record/schedules';

// Weekly recording windows of a camera (admin); they apply in recordMode "schedule".
export const GET: RequestHandler = endpoint(async ({ params, locals }) => {
	requireAdmin(await locals.auth());
	const camera = await getCamera(params.id);
	return json((await listSchedules(camera.id)).map(scheduleView));
});

export const POST: RequestHandler = endpoint(async ({ params, locals, request }) => {
	requireAdmin(await locals.auth());
	const camera = await getCamera(params.id);
	const body = await readJsonObject(request);
	onlyFields(body, SCHEDULE_FIELDS);
	return json(scheduleView(await createSchedule(camera.id, body)), { status: 201 });
});

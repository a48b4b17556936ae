// Weekly recording windows: validation (overlap 409, crossing midnight 400,
// admin only) and a window that starts and stops recording. The server runs
// in UTC (TZ), so the test computes windows in UTC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server';
import { startFakeCamera, type FakeCamera } from '../support/fake-camera';
import { until } from '../support/media';
import { closedSegments, createCamera } from './support';

const hms = (sec: number) => [Math.floor(sec / 3600), Math.floor(sec / 60) % 60, sec % 60].map((n) => String(n).padStart(2, '0')).join(':');

describe('schedules', () => {
	let s: TestServer;
	let cam: FakeCamera;
	let admin: string;

	beforeAll(async () => {
		cam = await startFakeCamera();
		s = await startServer('sqlite', { TZ: 'UTC', RECORD_MIN_FREE_MB: '1' });
		admin = await s.adminToken();
	});
	afterAll(async () => {
		await s?.stop();
		await cam?.stop();
	});

	const post = (id: string, body: unknown, token = admin) => s.api(`/api/cameras/${id}/schedules`, { method: 'POST', token, body });

	it.concurrent('refuses overlapping windows (409) and windows crossing midnight (400); admin only', async () => {
		const id = await createCamera(s, admin, 'rules', cam.url);
		const monday = await post(id, { weekday: 1, start: '08:00:00', durationSec: 3600 });
		expect(monday.status).toBe(201);
		const first = await monday.json();
		expect(first).toEqual({ id: expect.any(Number), weekday: 1, start: '08:00:00', end: '08:59:59', durationSec: 3600 });

		const overlap = await post(id, { weekday: 1, start: '08:30:00', durationSec: 3600 });
		expect(overlap.status).toBe(409);
		expect((await overlap.json()).error).toMatch(/overlaps the window 08:00:00–08:59:59/);
		expect((await post(id, { weekday: 1, start: '07:00:00', durationSec: 3601 })).status).toBe(409);
		// Back to back is no overlap; another day neither.
		expect((await post(id, { weekday: 1, start: '09:00:00', durationSec: 60 })).status).toBe(201);
		expect((await post(id, { weekday: 2, start: '08:00:00', durationSec: 3600 })).status).toBe(201);

		// A window may end at 23:59:59, not later.
		expect((await post(id, { weekday: 3, start: '23:00:00', durationSec: 3600 })).status).toBe(201);
		const midnight = await post(id, { weekday: 4, start: '23:00:00', durationSec: 3601 });
		expect(midnight.status).toBe(400);
		expect((await midnight.json()).error).toMatch(/midnight/);
		for (const bad of [{ weekday: 7, start: '08:00:00', durationSec: 60 }, { weekday: 1, start: '24:00:00', durationSec: 60 }, { weekday: 1, start: '08:00', durationSec: 60 }, { weekday: 1, start: '10:00:00', durationSec: 0 }, { weekday: 1, start: '10:00:00', durationSec: 60, extra: 1 }])
			expect((await post(id, bad)).status, JSON.stringify(bad)).toBe(400);

		// PATCH into an overlap: 409; elsewhere: fine. DELETE.
		const moved = await s.api(`/api/cameras/${id}/schedules/${first.id}`, { method: 'PATCH', token: admin, body: { weekday: 2 } });
		expect(moved.status).toBe(409);
		const later = await s.api(`/api/cameras/${id}/schedules/${first.id}`, { method: 'PATCH', token: admin, body: { start: '10:00:00' } });
		expect(await later.json()).toMatchObject({ start: '10:00:00', end: '10:59:59' });
		expect((await s.api(`/api/cameras/${id}/schedules/${first.id}`, { method: 'DELETE', token: admin })).status).toBe(204);
		expect((await s.api(`/api/cameras/${id}/schedules/${first.id}`, { method: 'DELETE', token: admin })).status).toBe(404);
		const list = await (await s.api(`/api/cameras/${id}/schedules`, { token: admin })).json();
		expect(list.map((w: { weekday: number; start: string }) => `${w.weekday} ${w.start}`)).toEqual(['1 09:00:00', '2 08:00:00', '3 23:00:00']);

		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'viewer', password: 'viewer-password', role: 'viewer', cameras: [id] } });
		const viewer = await s.login('viewer', 'viewer-password');
		expect((await s.api(`/api/cameras/${id}/schedules`, { token: viewer })).status).toBe(403);
		expect((await post(id, { weekday: 5, start: '08:00:00', durationSec: 60 }, viewer)).status).toBe(403);
	});

	it.concurrent('a window starts and stops recording', async () => {
		const now = new Date();
		const startSec = now.getUTCHours() * 3600 + now.getUTCMinutes() * 60 + now.getUTCSeconds() + 3;
		// Too close to midnight for a window today: nothing to test now.
		if (startSec + 10 >= 86_400) return;
		const id = await createCamera(s, admin, 'window', cam.url, { recordMode: 'schedule' });
		expect((await post(id, { weekday: now.getUTCDay(), start: hms(startSec), durationSec: 5 })).status).toBe(201);
		const state = async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).recording;
		expect((await state()).state).toBe('idle');
		expect(await until(async () => ((await state()).state === 'recording' ? await state() : undefined), 8000, 'window opens')).toMatchObject({ reason: 'schedule' });
		await until(async () => (await state()).state === 'idle', 10_000, 'window closes');
		const { segments } = await closedSegments(s, admin, id);
		const recorded = segments.reduce((n, x) => n + x.durationMs, 0);
		// 5 s window, on a 1 s tick, from the cached keyframe (up to one GOP earlier) to the next fragment.
		expect(recorded).toBeGreaterThan(3500);
		expect(recorded).toBeLessThan(7500);
	});
});

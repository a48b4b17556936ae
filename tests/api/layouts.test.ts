// Saved grid layouts (GET/POST /api/layouts, GET/PUT/DELETE /api/layouts/:id), on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS } from '../support/databases';
import { startServer, type TestServer } from '../support/server';

describe.each(PROVIDERS)('layouts on %s', (provider) => {
	let s: TestServer;
	let admin: string;
	let viewer: string;
	let other: string;
	const cams: string[] = [];

	beforeAll(async () => {
		s = await startServer(provider);
		admin = await s.adminToken();
		for (const name of ['lay_a', 'lay_b', 'lay_c']) {
			const res = await s.api('/api/cameras', { method: 'POST', token: admin, body: { name, source: 'rtsp://127.0.0.1:9/x' } });
			cams.push((await res.json()).id);
		}
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'v1', password: 'viewer-password', cameras: [cams[0], cams[1]] } });
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'v2', password: 'viewer-password', cameras: [cams[0]] } });
		viewer = await s.login('v1', 'viewer-password');
		other = await s.login('v2', 'viewer-password');
	});
	afterAll(() => s?.stop());

	let id: string;

	it('POST saves a layout: 201, then GET lists it', async () => {
		const res = await s.api('/api/layouts', { method: 'POST', token: viewer, body: { name: ' Lobby ', size: 4, cameras: [cams[0], null, cams[1], null] } });
		expect(res.status).toBe(201);
		const body = await res.json();
		expect(body).toMatchObject({ name: 'Lobby', size: 4, cameras: [cams[0], null, cams[1], null] });
		expect(body.id).toMatch(/^[0-9a-f]{12}$/);
		id = body.id;
		expect(await (await s.api('/api/layouts', { token: viewer })).json()).toEqual([body]);
		expect(await (await s.api(`/api/layouts/${id}`, { token: viewer })).json()).toEqual(body);
	});

	it('validates: 400 with the error envelope', async () => {
		const bad = [
			[{ name: 'x', size: 3, cameras: [null, null, null] }, 'size must be 1, 4, 9 or 16'],
			[{ name: 'x', size: 4, cameras: [null] }, 'cameras must have 4 entries, one per tile'],
			[{ name: 'x', size: 1, cameras: [cams[2]] }, `unknown camera id: ${cams[2]}`],
			[{ name: 'x', size: 1, cameras: [42] }, 'cameras must be an array of camera ids or null, one per tile'],
			[{ name: '', size: 1, cameras: [null] }, 'name is required'],
			[{ name: 'x', size: 1, cameras: [null], extra: 1 }, 'unknown field: extra']
		] as const;
		for (const [body, error] of bad) {
			const res = await s.api('/api/layouts', { method: 'POST', token: viewer, body });
			expect(res.status, JSON.stringify(body)).toBe(400);
			expect(await res.json()).toEqual({ error });
		}
		expect((await s.api('/api/layouts', { method: 'POST', token: viewer, body: '[1]' })).status).toBe(400);
	});

	it('a second layout with the same name is 409', async () => {
		const res = await s.api('/api/layouts', { method: 'POST', token: viewer, body: { name: 'Lobby', size: 1, cameras: [null] } });
		expect(res.status).toBe(409);
		expect(await res.json()).toEqual({ error: 'a layout named "Lobby" already exists' });
	});

	it('PUT replaces the layout; another user sees 404 and cannot change it', async () => {
		const res = await s.api(`/api/layouts/${id}`, { method: 'PUT', token: viewer, body: { name: 'Lobby', size: 1, cameras: [cams[1]] } });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ id, name: 'Lobby', size: 1, cameras: [cams[1]] });
		for (const method of ['GET', 'PUT', 'DELETE']) {
			const r = await s.api(`/api/layouts/${id}`, { method, token: other, body: method === 'PUT' ? { name: 'Mine', size: 1, cameras: [null] } : undefined });
			expect(r.status, method).toBe(404);
			expect(await r.json()).toEqual({ error: 'layout not found' });
		}
		expect(await (await s.api('/api/layouts', { token: other })).json()).toEqual([]);
		expect((await s.api('/api/layouts/zzz', { token: viewer })).status).toBe(404);
	});

	it('a camera whose right was taken away shows as an empty tile', async () => {
		await s.api('/api/users/v1', { method: 'PATCH', token: admin, body: { cameras: [cams[0]] } });
		expect((await (await s.api(`/api/layouts/${id}`, { token: viewer })).json()).cameras).toEqual([null]);
	});

	it('needs credentials; DELETE removes it', async () => {
		expect((await s.api('/api/layouts')).status).toBe(401);
		expect((await s.api(`/api/layouts/${id}`, { method: 'DELETE', token: viewer })).status).toBe(204);
		expect((await s.api(`/api/layouts/${id}`, { token: viewer })).status).toBe(404);
	});
});

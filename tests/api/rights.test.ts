// Users, roles and per-camera rights: a user sees and opens only granted
// cameras, never an original name; on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS } from '../support/databases';
import { startServer, type TestServer } from '../support/server';

const NAMES = ['secret_gate_cam', 'secret_lobby_cam', 'secret_roof_cam'];

describe.each(PROVIDERS)('users and rights on %s', (provider) => {
	let s: TestServer;
	let admin: string;
	let viewer: string;
	let ids: string[];

	beforeAll(async () => {
		s = await startServer(provider);
		admin = await s.adminToken();
		ids = [];
		for (const [i, name] of NAMES.entries()) {
			const res = await s.api('/api/cameras', { method: 'POST', token: admin, body: { name, label: `Label ${i}`, lat: 10 + i, lon: 106 + i, source: `rtsp://u:pw@127.0.0.1/${name}` } });
			ids.push((await res.json()).id);
		}
		const created = await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'viewer1', password: 'viewer-password', role: 'viewer', cameras: [ids[0], ids[1]] } });
		expect(created.status).toBe(201);
		expect(await created.json()).toMatchObject({ username: 'viewer1', role: 'viewer', cameras: [ids[0], ids[1]].sort() });
		viewer = await s.login('viewer1', 'viewer-password');
	});
	afterAll(() => s?.stop());

	/** Every text a viewer can get back, to search for names and credentials. */
	async function viewerTexts(): Promise<string> {
		const paths = [
			'/api/cameras',
			'/api/cameras?all=true',
			'/api/cameras?format=geojson&all=true',
			'/api/proxy/streams',
			...ids.flatMap((id) => [`/api/cameras/${id}`, `/api/proxy/rtsp-url?id=${id}`]),
			'/api/users',
			'/api/auth/me'
		];
		const bodies = await Promise.all(paths.map(async (p) => (await s.api(p, { token: viewer })).text()));
		return bodies.join('\n');
	}

	it('a viewer sees only granted cameras, without "name"', async () => {
		const list = await (await s.api('/api/cameras?all=true', { token: viewer })).json();
		expect(list).toEqual([
			{ id: ids[0], label: 'Label 0', lat: 10, lon: 106 },
			{ id: ids[1], label: 'Label 1', lat: 11, lon: 107 }
		]);
		const geo = await (await s.api('/api/cameras?format=geojson', { token: viewer })).json();
		expect(geo.features.map((f: { properties: unknown }) => f.properties)).toEqual([
			{ id: ids[0], label: 'Label 0' },
			{ id: ids[1], label: 'Label 1' }
		]);
		const streams = await (await s.api('/api/proxy/streams', { token: viewer })).json();
		expect(streams.map((x: { id: string }) => x.id)).toEqual([ids[0], ids[1]]);
		expect(Object.keys(streams[0]).sort()).toEqual(['frame_url', 'hls_url', 'id', 'mp4_url', 'rtsp_url', 'ws_url']);
		expect(await (await s.api(`/api/cameras/${ids[0]}`, { token: viewer })).json()).toEqual({
			id: ids[0],
			label: 'Label 0',
			lat: 10,
			lon: 106,
			enabled: true,
			tags: [],
			status: expect.objectContaining({ state: expect.any(String), error: null })
		});
	});

	it('a camera not granted answers 404, exactly like one that does not exist', async () => {
		for (const path of [`/api/cameras/${ids[2]}`, `/api/proxy/rtsp-url?id=${ids[2]}`]) {
			const hidden = await s.api(path, { token: viewer });
			const absent = await s.api(path.replace(ids[2], 'ffffffffffff'), { token: viewer });
			expect(hidden.status).toBe(404);
			expect(await hidden.json()).toEqual(await absent.json());
		}
	});

	it('no original name or source credential ever reaches a viewer', async () => {
		const text = await viewerTexts();
		for (const secret of [...NAMES, 'u:pw', 'pw@']) expect(text).not.toContain(secret);
	});

	it('viewers and operators cannot administer: 403', async () => {
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'op1', password: 'operator-password', role: 'operator', cameras: '*' } });
		const operator = await s.login('op1', 'operator-password');
		for (const token of [viewer, operator]) {
			const attempts = [
				s.api('/api/cameras', { method: 'POST', token, body: { name: 'mine', source: 'rtsp://127.0.0.1/x' } }),
				s.api(`/api/cameras/${ids[0]}`, { method: 'PATCH', token, body: { label: 'x' } }),
				s.api(`/api/cameras/${ids[0]}`, { method: 'DELETE', token }),
				s.api('/api/users', { token }),
				s.api('/api/users/viewer1', { method: 'PATCH', token, body: { cameras: '*' } })
			];
			for (const res of await Promise.all(attempts)) {
				expect(res.status).toBe(403);
				expect(await res.json()).toEqual({ error: 'admin rights required' });
			}
		}
		// "*" grants every camera, including ones added later.
		const { id } = await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'later_cam', source: 'rtsp://127.0.0.1/l' } })).json();
		const seen = await (await s.api('/api/cameras?all=true', { token: operator })).json();
		expect(seen.map((c: { id: string }) => c.id)).toContain(id);
		expect(seen[0].name).toBeUndefined();
		await s.api(`/api/cameras/${id}`, { method: 'DELETE', token: admin });
	});

	it('granting and revoking takes effect at once', async () => {
		const res = await s.api('/api/users/viewer1', { method: 'PATCH', token: admin, body: { cameras: [ids[2]] } });
		expect(res.status).toBe(200);
		expect((await res.json()).cameras).toEqual([ids[2]]);
		const list = await (await s.api('/api/cameras', { token: viewer })).json();
		expect(list.map((c: { id: string }) => c.id)).toEqual([ids[2]]);
		await s.api('/api/users/viewer1', { method: 'PATCH', token: admin, body: { cameras: [ids[0], ids[1]] } });
	});

	it('deleting a camera removes it from every grant', async () => {
		const { id } = await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'temp_cam', source: 'rtsp://127.0.0.1/t' } })).json();
		await s.api('/api/users/viewer1', { method: 'PATCH', token: admin, body: { cameras: [ids[0], ids[1], id] } });
		expect((await s.api(`/api/cameras/${id}`, { method: 'DELETE', token: admin })).status).toBe(204);
		expect((await (await s.api('/api/users/viewer1', { token: admin })).json()).cameras).toEqual([ids[0], ids[1]].sort());
	});

	it('users API: list, get, validation, last-admin and self protection', async () => {
		const list = await (await s.api('/api/users', { token: admin })).json();
		expect(list.map((u: { username: string }) => u.username)).toEqual(['admin', 'op1', 'viewer1']);
		expect(list[0]).toMatchObject({ username: 'admin', role: 'admin', cameras: '*' });
		expect(JSON.stringify(list)).not.toMatch(/password/i);

		const bad: [unknown, RegExp][] = [
			[{ username: 'viewer1', password: 'long-enough' }, /already exists/],
			[{ username: 'new', password: 'short' }, /at least 8/],
			[{ username: '', password: 'long-enough' }, /username is required/],
			[{ username: 'new', password: 'long-enough', role: 'root' }, /role must be one of admin, operator, viewer/],
			[{ username: 'new', password: 'long-enough', cameras: ['nope'] }, /unknown camera id: nope/],
			[{ username: 'new', password: 'long-enough', cameras: 'all' }, /cameras must be "\*" or an array/],
			[{ username: 'new', password: 'long-enough', admin: true }, /unknown field: admin/]
		];
		for (const [body, message] of bad) {
			const res = await s.api('/api/users', { method: 'POST', token: admin, body });
			expect(res.status, JSON.stringify(body)).toBe(400);
			expect((await res.json()).error).toMatch(message);
		}
		expect((await s.api('/api/users/nobody', { token: admin })).status).toBe(404);
		expect((await s.api('/api/users/viewer1', { method: 'PATCH', token: admin, body: { username: 'renamed' } })).status).toBe(400);

		const demote = await s.api('/api/users/admin', { method: 'PATCH', token: admin, body: { role: 'viewer' } });
		expect(demote.status).toBe(409);
		expect((await demote.json()).error).toMatch(/last admin/);
		expect((await s.api('/api/users/admin', { method: 'DELETE', token: admin })).status).toBe(409);

		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'gone', password: 'gone-password' } });
		const goneToken = await s.login('gone', 'gone-password');
		expect((await s.api('/api/users/gone', { method: 'DELETE', token: admin })).status).toBe(204);
		expect((await s.api('/api/cameras', { token: goneToken })).status).toBe(401);
	});

	it('an admin resetting a password retires the user\'s tokens', async () => {
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'reset_me', password: 'old-password' } });
		const before = await s.login('reset_me', 'old-password');
		expect((await s.api('/api/users/reset_me', { method: 'PATCH', token: admin, body: { password: 'new-password' } })).status).toBe(200);
		expect((await s.api('/api/cameras', { token: before })).status).toBe(401);
		await s.login('reset_me', 'new-password');
	});
});

// Document 000's login and token rules, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { PROVIDERS } from '../support/databases';
import { ADMIN_PASSWORD, JWT_SECRET, startServer, type TestServer } from '../support/server';

const sign = (claims: Record<string, unknown>, secret: string, exp: number | string) =>
	new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

describe.each(PROVIDERS)('auth on %s', (provider) => {
	let s: TestServer;
	beforeAll(async () => {
		s = await startServer(provider);
	});
	afterAll(() => s?.stop());

	it('POST /api/auth/login answers {token, username, role} as document 000 shows', async () => {
		const res = await s.api('/api/auth/login', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } });
		expect(res.status).toBe(200);
		const body = await res.json();
		expect(Object.keys(body).sort()).toEqual(['role', 'token', 'username']);
		expect(body).toMatchObject({ username: 'admin', role: 'admin' });
		expect(body.token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
		const payload = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString());
		expect(payload.exp - payload.iat).toBe(24 * 60 * 60);
	});

	it('a viewer logs in with role "viewer"', async () => {
		const admin = await s.adminToken();
		expect((await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'user', password: 'passpass', role: 'viewer' } })).status).toBe(201);
		const res = await s.api('/api/auth/login', { method: 'POST', body: { username: 'user', password: 'passpass' } });
		expect(await res.json()).toMatchObject({ username: 'user', role: 'viewer' });
	});

	it('wrong credentials: 401 with {"error"}', async () => {
		for (const body of [
			{ username: 'admin', password: 'wrong' },
			{ username: 'nobody', password: 'whatever' }
		]) {
			const res = await s.api('/api/auth/login', { method: 'POST', body });
			expect(res.status).toBe(401);
			expect(await res.json()).toEqual({ error: 'invalid username or password' });
		}
	});

	it('bad login bodies: 400 with a message', async () => {
		for (const body of ['{not json', '[]', { username: 'admin' }, { username: 1, password: 2 }]) {
			const res = await s.api('/api/auth/login', { method: 'POST', body });
			expect(res.status).toBe(400);
			expect((await res.json()).error).toMatch(/JSON|required/);
		}
	});

	it('the token works as Authorization: Bearer and as ?token=', async () => {
		const token = await s.adminToken();
		expect((await s.api('/api/cameras', { token })).status).toBe(200);
		expect((await s.api(`/api/cameras?token=${token}`)).status).toBe(200);
	});

	it('missing, malformed, forged and expired tokens: 401 with {"error"}', async () => {
		const real = await s.adminToken();
		const sub = JSON.parse(Buffer.from(real.split('.')[1], 'base64url').toString()).sub;
		const cases: [Record<string, string>, string, RegExp][] = [
			[{}, '/api/cameras', /authentication required/],
			[{ authorization: 'Basic YWRtaW46YWRtaW4=' }, '/api/cameras', /malformed/],
			[{ authorization: 'Bearer not-a-jwt' }, '/api/cameras', /invalid token/],
			[{}, '/api/cameras?token=abc.def.ghi', /invalid token/],
			[{ authorization: `Bearer ${real.slice(0, -2)}xx` }, '/api/cameras', /invalid token/],
			[{ authorization: `Bearer ${await sign({ sub, tv: 0, role: 'admin' }, 'another-secret', '1h')}` }, '/api/proxy/streams', /invalid token/],
			[{ authorization: `Bearer ${await sign({ sub, tv: 0, role: 'admin' }, JWT_SECRET, Math.floor(Date.now() / 1000) - 60)}` }, '/api/cameras', /expired/]
		];
		for (const [headers, path, message] of cases) {
			const res = await s.api(path, { headers });
			expect(res.status, JSON.stringify(headers)).toBe(401);
			expect((await res.json()).error).toMatch(message);
		}
	});

	it('changing one\'s own password retires older tokens and returns a new one', async () => {
		const admin = await s.adminToken();
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'changer', password: 'first-password', role: 'operator' } });
		const old = await s.login('changer', 'first-password');
		const wrong = await s.api('/api/auth/password', { method: 'POST', token: old, body: { currentPassword: 'nope', newPassword: 'second-password' } });
		expect(wrong.status).toBe(400);
		const short = await s.api('/api/auth/password', { method: 'POST', token: old, body: { currentPassword: 'first-password', newPassword: 'short' } });
		expect(short.status).toBe(400);
		const res = await s.api('/api/auth/password', { method: 'POST', token: old, body: { currentPassword: 'first-password', newPassword: 'second-password' } });
		expect(res.status).toBe(200);
		const { token } = await res.json();
		expect((await s.api('/api/auth/me', { token: old })).status).toBe(401);
		expect(await (await s.api('/api/auth/me', { token })).json()).toEqual({ username: 'changer', role: 'operator' });
		expect((await s.api('/api/auth/login', { method: 'POST', body: { username: 'changer', password: 'first-password' } })).status).toBe(401);
		await s.login('changer', 'second-password');
	});

	it('repeated failures for one user from one address: 429 with Retry-After, other users unaffected', async () => {
		const admin = await s.adminToken();
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'target', password: 'target-password' } });
		const statuses: number[] = [];
		for (let i = 0; i < 7; i++) {
			const res = await s.api('/api/auth/login', { method: 'POST', body: { username: 'target', password: `guess-${i}` } });
			statuses.push(res.status);
			if (res.status === 429) {
				expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
				expect((await res.json()).error).toMatch(/too many/);
			}
		}
		expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
		// Even the right password waits out the window; another user still logs in.
		expect((await s.api('/api/auth/login', { method: 'POST', body: { username: 'target', password: 'target-password' } })).status).toBe(429);
		await s.login('admin', ADMIN_PASSWORD);
	});

	it('a generated admin password is printed once on first start', async () => {
		const fresh = await startServer(provider, { ADMIN_PASSWORD: '', ADMIN_USERNAME: 'root' });
		try {
			const printed = /created admin user "root" with password: (\S+)/.exec(fresh.output());
			expect(printed).not.toBeNull();
			await fresh.login('root', printed![1]);
			await fresh.restart();
			expect(fresh.output().match(/created admin user/g)).toHaveLength(1);
		} finally {
			await fresh.stop();
		}
	});
});

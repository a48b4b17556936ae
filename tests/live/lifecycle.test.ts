// Ingest on demand: it starts with the first consumer and stops after the
// last one leaves (INGEST_IDLE_MS); keepalive cameras stay on; status changes
// are pushed over socket.io to those allowed to see the camera.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { startServer, type TestServer } from '../support/server';
import { startFakeCamera, type FakeCamera } from '../support/fake-camera';
import { readFor, until } from '../support/media';

describe('ingest lifecycle and live status', () => {
	let s: TestServer;
	let cam: FakeCamera;
	let admin: string;

	beforeAll(async () => {
		cam = await startFakeCamera();
		s = await startServer('sqlite', { INGEST_IDLE_MS: '2000' });
		admin = await s.adminToken();
	});
	afterAll(async () => {
		await s?.stop();
		await cam?.stop();
	});

	const state = async (id: string) => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).status.state;

	it('starts on demand, accounts its consumers, stops when idle', async () => {
		const { id } = await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'ondemand', source: cam.url } })).json();
		expect(await state(id)).toBe('offline');
		const reading = readFor(`${s.base}/api/proxy/mp4?id=${id}&token=${admin}`, 4000);
		await until(async () => (await state(id)) === 'online', 10_000, 'online');
		const consumers = await (await s.api(`/api/cameras/${id}/consumers`, { token: admin })).json();
		expect(consumers).toEqual([{ protocol: 'mp4', remoteAddress: expect.stringContaining('127.0.0.1'), startedAt: expect.any(String), bytes: expect.any(Number) }]);
		await until(async () => (await (await s.api(`/api/cameras/${id}/consumers`, { token: admin })).json())[0]?.bytes > 50_000, 5000, 'bytes counted');
		await reading;
		await until(async () => (await state(id)) === 'offline', 10_000, 'idle stop');
		expect(await (await s.api(`/api/cameras/${id}/consumers`, { token: admin })).json()).toEqual([]);
	});

	it('keepalive keeps ingest on with no consumer, and status changes are pushed', async () => {
		const socket = connect(s.base, { auth: { token: admin }, transports: ['websocket'] });
		const events: { id: string; state: string }[] = [];
		socket.on('camera:status', (e) => events.push(e));
		await new Promise((resolve, reject) => (socket.once('hello', resolve), socket.once('connect_error', reject)));
		const { id } = await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'always', source: cam.url, keepalive: true } })).json();
		await until(() => events.some((e) => e.id === id && e.state === 'online'), 10_000, 'online pushed');
		await new Promise((r) => setTimeout(r, 3000));
		expect(await state(id)).toBe('online');
		await s.api(`/api/cameras/${id}`, { method: 'PATCH', token: admin, body: { keepalive: false } });
		await until(() => events.some((e) => e.id === id && e.state === 'offline'), 10_000, 'offline pushed');
		socket.close();
	});

	it('socket.io refuses a connection without credentials, and a viewer hears only granted cameras', async () => {
		const anonymous = connect(s.base, { transports: ['websocket'] });
		const err = await new Promise<Error>((resolve) => anonymous.once('connect_error', resolve));
		expect(err.message).toBe('unauthorized');
		anonymous.close();

		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'v', password: 'viewer-password', cameras: [] } });
		const viewer = connect(s.base, { auth: { token: await s.login('v', 'viewer-password') }, transports: ['websocket'] });
		const heard: string[] = [];
		viewer.on('camera:status', (e) => heard.push(e.id));
		await new Promise((resolve) => viewer.once('hello', resolve));
		const { id } = await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'secret', source: cam.url, keepalive: true } })).json();
		await until(async () => (await state(id)) === 'online', 10_000, 'online');
		expect(heard).toEqual([]);
		viewer.close();
		await s.api(`/api/cameras/${id}`, { method: 'DELETE', token: admin });
	});
});

// Users with push rights (document 001's per-user "push" pattern) publish
// without a camera's key, through the real server: ffmpeg over RTMP (user and
// password, or an API token, in the query) and over RTSP ANNOUNCE (Basic). A
// path no camera has yet becomes a push camera, granted to the publisher, and
// plays over RTSP and HLS; paths outside the pattern, users without rights,
// wrong passwords and pull cameras are refused, and nothing is created for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from '../support/server';
import { ffprobe, until, videoStream } from '../support/media';
import { publishTestStream, type Publishing } from '../support/publisher';

describe('publishing with push rights', () => {
	let s: TestServer;
	let admin: string;
	let rtmp: string;
	let rtspBase: string;
	const publishers: Publishing[] = [];

	const cameras = async (): Promise<{ id: string; name: string }[]> => (await s.api('/api/cameras?all=true', { token: admin })).json();
	const byName = async (name: string): Promise<{ id: string; source: string; status: { state: string } } | null> => {
		const found = (await cameras()).find((c) => c.name === name);
		return found ? (await s.api(`/api/cameras/${found.id}`, { token: admin })).json() : null;
	};
	const online = (name: string) => until(async () => ((await byName(name))?.status.state === 'online' ? byName(name) : null), 20_000, `${name} online`);
	const publish = (url: string, seconds?: number) => {
		const p = publishTestStream(url, seconds);
		publishers.push(p);
		return p;
	};

	beforeAll(async () => {
		const [rtmpPort, rtspPort] = [await freePort(), await freePort()];
		s = await startServer('sqlite', { RTMP_PORT: String(rtmpPort), RTSP_PORT: String(rtspPort), RTSP_UDP_PORTS: 'off', INGEST_IDLE_MS: '3000' });
		admin = await s.adminToken();
		rtmp = `rtmp://127.0.0.1:${rtmpPort}/live`;
		rtspBase = `127.0.0.1:${rtspPort}`;
		const users = [
			{ username: 'pusher', password: 'pusher-password', push: 'site1/*, lobby' },
			{ username: 'nopush', password: 'nopush-password' }
		];
		for (const body of users) expect((await s.api('/api/users', { method: 'POST', token: admin, body })).status).toBe(201);
		expect((await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'site1/pulled', source: `rtsp://127.0.0.1:${await freePort()}/x` } })).status).toBe(201);
		await until(() => s.output().includes('RTMP publish server listening') && s.output().includes('rtsp: listening'), 10_000, 'the RTMP and RTSP servers');
	});

	afterAll(async () => {
		for (const p of publishers) p.proc.kill('SIGKILL');
		await s?.stop();
	});

	it('the users API keeps the push pattern and refuses malformed ones', async () => {
		expect((await (await s.api('/api/users/pusher', { token: admin })).json()).push).toBe('site1/*, lobby');
		expect((await (await s.api('/api/users/nopush', { token: admin })).json()).push).toBe('');
		const bad = await s.api('/api/users/nopush', { method: 'PATCH', token: admin, body: { push: 'a b' } });
		expect(bad.status).toBe(400);
		expect((await bad.json()).error).toMatch(/push pattern "a b"/);
		expect((await s.api('/api/users/nopush', { method: 'PATCH', token: admin, body: { push: 42 } })).status).toBe(400);
	});

	it('RTMP with user and password: a new path becomes a push camera granted to the publisher, playing over RTSP and HLS', async () => {
		publish(`${rtmp}/site1/gate?user=pusher&pass=pusher-password`);
		const cam = await online('site1/gate');
		expect(cam.source).toBe('push');
		const token = await s.login('pusher', 'pusher-password');
		expect((await s.api(`/api/cameras/${cam.id}`, { token })).status).toBe(200);
		const rtsp = await ffprobe(`rtsp://pusher:pusher-password@${rtspBase}/${cam.id}?auth=basic`, { extra: ['-rtsp_transport', 'tcp', '-read_intervals', '%+2'], timeoutMs: 40_000 });
		expect(videoStream(rtsp)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
		const hls = await ffprobe(`${s.base}/api/proxy/hls?id=${cam.id}&token=${token}`, { extra: ['-read_intervals', '%+2'] });
		expect(videoStream(hls)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
		expect(Number(videoStream(hls)!.nb_read_frames)).toBeGreaterThanOrEqual(25);
	});

	it('refuses paths outside the pattern, users without push rights, wrong passwords and pull cameras; creates nothing', async () => {
		const tries = await Promise.all([
			publish(`${rtmp}/site2/gate?user=pusher&pass=pusher-password`, 2).done,
			publish(`${rtmp}/site1/other?user=nopush&pass=nopush-password`, 2).done,
			publish(`${rtmp}/site1/other?user=pusher&pass=wrong-password`, 2).done,
			publish(`${rtmp}/site1/pulled?user=pusher&pass=pusher-password`, 2).done,
			publish(`${rtmp}/site1/other`, 2).done
		]);
		for (const t of tries) expect(t.code).not.toBe(0);
		expect(tries[0].stderr).toMatch(/may not publish to "site2\/gate"/);
		expect(tries[2].stderr).toMatch(/invalid username or password/);
		expect(tries[3].stderr).toMatch(/pulls its source/);
		const names = (await cameras()).map((c) => c.name);
		expect(names).not.toContain('site2/gate');
		expect(names).not.toContain('site1/other');
		// The first publisher is still on.
		expect((await byName('site1/gate'))?.status.state).toBe('online');
	});

	it('RTMP with an API token in the query publishes to an existing camera by name', async () => {
		expect((await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'lobby', source: 'push' } })).status).toBe(201);
		const token = await s.login('pusher', 'pusher-password');
		publish(`${rtmp}/lobby?token=${token}`);
		await online('lobby');
		const forged = await publish(`${rtmp}/site1/x?token=not-a-token`, 2).done;
		expect(forged.code).not.toBe(0);
	});

	it('RTSP ANNOUNCE as a platform user (Basic): a new camera, online; a user without push rights gets 403', async () => {
		publish(`rtsp://pusher:pusher-password@${rtspBase}/site1/door?auth=basic`);
		await online('site1/door');
		const refused = await publish(`rtsp://nopush:nopush-password@${rtspBase}/site1/door2?auth=basic`, 2).done;
		expect(refused.code).not.toBe(0);
		expect(refused.stderr).toMatch(/403/);
		const anonymous = await publish(`rtsp://${rtspBase}/site1/door3`, 2).done;
		expect(anonymous.stderr).toMatch(/401/);
		expect((await cameras()).map((c) => c.name)).not.toContain('site1/door2');
	});
});

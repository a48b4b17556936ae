// Document 000's camera endpoints and the camera admin API, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROVIDERS } from '../support/databases';
import { startServer, type TestServer } from '../support/server';

// The two cameras of the document's examples, plus one without coordinates.
const AN_SUONG = { name: 'camera_01', label: 'Ngã tư An Sương', lat: 10.823145, lon: 106.629732, source: 'rtsp://cam:secret@127.0.0.1:554/Streaming/101' };
const BINH_LOI = { name: 'camera_02', label: 'Cầu Bình Lợi', lat: 10.834211, lon: 106.710445, source: 'rtmp://127.0.0.1/live/binhloi' };
const NO_POS = { name: 'camera_03', source: 'https://127.0.0.1/live/c3.m3u8' };

describe.each(PROVIDERS)('cameras on %s', (provider) => {
	let s: TestServer;
	let admin: string;
	const ids: Record<string, string> = {};

	beforeAll(async () => {
		// The document's default RTSP port, as the URLs handed out show it.
		s = await startServer(provider, { RTSP_PORT: '8554' });
		admin = await s.adminToken();
	});
	afterAll(() => s?.stop());

	it('POST /api/cameras: 201 with the whole camera and a 12-hex id', async () => {
		for (const cam of [AN_SUONG, BINH_LOI, NO_POS]) {
			const res = await s.api('/api/cameras', { method: 'POST', token: admin, body: cam });
			expect(res.status).toBe(201);
			const body = await res.json();
			expect(body.id).toMatch(/^[0-9a-f]{12}$/);
			expect(body).toMatchObject({ name: cam.name, source: cam.source, enabled: true, tags: [], label: (cam as { label?: string }).label ?? '' });
			expect(body.lat ?? null).toBe((cam as { lat?: number }).lat ?? null);
			ids[cam.name] = body.id;
		}
		expect(new Set(Object.values(ids)).size).toBe(3);
	});

	it('GET /api/cameras for an admin: the document\'s array with "name"', async () => {
		const res = await s.api('/api/cameras', { token: admin });
		expect(res.headers.get('content-type')).toMatch(/application\/json/);
		expect(await res.json()).toEqual([
			{ id: ids.camera_01, name: 'camera_01', label: 'Ngã tư An Sương', lat: 10.823145, lon: 106.629732 },
			{ id: ids.camera_02, name: 'camera_02', label: 'Cầu Bình Lợi', lat: 10.834211, lon: 106.710445 }
		]);
	});

	it('?all=true includes cameras without coordinates as lat/lon null', async () => {
		const body = await (await s.api('/api/cameras?all=true', { token: admin })).json();
		expect(body).toHaveLength(3);
		expect(body[2]).toEqual({ id: ids.camera_03, name: 'camera_03', label: '', lat: null, lon: null });
	});

	it('?format=geojson: a FeatureCollection with [lon, lat]', async () => {
		const res = await s.api('/api/cameras?format=geojson', { token: admin });
		expect(res.status).toBe(200);
		const body = await res.json();
		expect(body.type).toBe('FeatureCollection');
		expect(body.features[0]).toEqual({
			type: 'Feature',
			geometry: { type: 'Point', coordinates: [106.629732, 10.823145] },
			properties: { id: ids.camera_01, name: 'camera_01', label: 'Ngã tư An Sương' }
		});
		expect(body.features).toHaveLength(2);
	});

	it('?token= works instead of the header', async () => {
		const res = await s.api(`/api/cameras?format=geojson&token=${admin}`);
		expect(res.status).toBe(200);
		expect((await res.json()).features).toHaveLength(2);
	});

	it('rejects bad query values', async () => {
		for (const q of ['all=yes', 'format=xml']) {
			const res = await s.api(`/api/cameras?${q}`, { token: admin });
			expect(res.status).toBe(400);
			expect((await res.json()).error).toBeTruthy();
		}
	});

	it('validation: clear 400 errors', async () => {
		const file = path.join(s.dataDir, 'loop.mp4');
		writeFileSync(file, 'not really a video, but a file');
		const cases: [unknown, RegExp][] = [
			[{ ...AN_SUONG, name: 'camera_01' }, /already exists/],
			[{ name: 'x1', source: 'rtsp://h/s', lat: 91, lon: 0 }, /lat must be between -90 and 90/],
			[{ name: 'x1', source: 'rtsp://h/s', lat: 0, lon: -180.5 }, /lon must be between -180 and 180/],
			[{ name: 'x1', source: 'rtsp://h/s', lat: '10', lon: 1 }, /lat must be a number/],
			[{ name: 'x1', source: 'rtsp://h/s', lat: 10 }, /together/],
			[{ name: 'x1', source: 'ftp://h/s' }, /unsupported source scheme "ftp:"/],
			[{ name: 'x1', source: 'not a url' }, /not a valid URL/],
			[{ name: 'x1', source: 'file:///does/not/exist.mp4' }, /does not exist/],
			[{ name: 'x1', source: 'file://host/x.mp4' }, /no host/],
			[{ name: 'x1' }, /source is required/],
			[{ source: 'rtsp://h/s' }, /name is required/],
			[{ name: 'bad name!', source: 'rtsp://h/s' }, /name may use/],
			[{ name: 'abcdef012345', source: 'rtsp://h/s' }, /must not look like a camera id/],
			[{ name: 'x1', source: 'rtsp://h/s', enabled: 'yes' }, /enabled must be true or false/],
			[{ name: 'x1', source: 'rtsp://h/s', tags: 'a' }, /tags must be an array/],
			[{ name: 'x1', source: 'rtsp://h/s', lattitude: 1 }, /unknown field: lattitude/],
			['{"name":', /valid JSON/],
			[[1, 2], /JSON object/]
		];
		for (const [body, message] of cases) {
			const res = await s.api('/api/cameras', { method: 'POST', token: admin, body });
			expect(res.status, JSON.stringify(body)).toBe(400);
			expect((await res.json()).error).toMatch(message);
		}
		const ok = await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'looped/file', source: `file://${file}`, tags: ['lobby'] } });
		expect(ok.status).toBe(201);
		expect((await ok.json()).tags).toEqual(['lobby']);
		expect((await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'pushed', source: 'push' } })).status).toBe(201);
	});

	it('GET, PATCH and DELETE /api/cameras/:id', async () => {
		const id = ids.camera_03;
		const got = await (await s.api(`/api/cameras/${id}`, { token: admin })).json();
		expect(got).toMatchObject({ id, name: 'camera_03', source: NO_POS.source, lat: null, lon: null });

		const patched = await s.api(`/api/cameras/${id}`, { method: 'PATCH', token: admin, body: { label: 'Cổng chính', lat: -33.5, lon: 151.2, enabled: false } });
		expect(patched.status).toBe(200);
		expect(await patched.json()).toMatchObject({ id, label: 'Cổng chính', lat: -33.5, lon: 151.2, enabled: false });
		// Half a position is refused; the stored camera is untouched.
		expect((await s.api(`/api/cameras/${id}`, { method: 'PATCH', token: admin, body: { lat: null } })).status).toBe(400);
		expect((await s.api(`/api/cameras/${id}`, { method: 'PATCH', token: admin, body: { name: 'camera_01' } })).status).toBe(400);
		expect((await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).lat).toBe(-33.5);

		expect((await s.api(`/api/cameras/${id}`, { method: 'DELETE', token: admin })).status).toBe(204);
		for (const method of ['GET', 'PATCH', 'DELETE']) {
			const res = await s.api(`/api/cameras/${id}`, { method, token: admin, body: method === 'PATCH' ? { label: 'x' } : undefined });
			expect(res.status).toBe(404);
			expect(await res.json()).toEqual({ error: 'camera not found' });
		}
		expect((await s.api('/api/cameras/not-an-id', { token: admin })).status).toBe(404);
	});

	it('GET /api/proxy/streams: the document\'s URLs, each carrying the token', async () => {
		const res = await s.api('/api/proxy/streams', { token: admin });
		const body = await res.json();
		const first = body.find((x: { id: string }) => x.id === ids.camera_01);
		const q = `id=${ids.camera_01}&token=${admin}`;
		expect(first).toEqual({
			id: ids.camera_01,
			name: 'camera_01',
			ws_url: `ws://127.0.0.1:${s.port}/api/proxy/ws?${q}`,
			hls_url: `http://127.0.0.1:${s.port}/api/proxy/hls?${q}`,
			frame_url: `http://127.0.0.1:${s.port}/api/proxy/frame?${q}`,
			mp4_url: `http://127.0.0.1:${s.port}/api/proxy/mp4?${q}`,
			rtsp_url: `rtsp://127.0.0.1:8554/${ids.camera_01}`
		});
	});

	it('GET /api/proxy/rtsp-url: the document\'s shape', async () => {
		const res = await s.api(`/api/proxy/rtsp-url?id=${ids.camera_02}&token=${admin}`);
		expect(await res.json()).toEqual({
			stream_id: ids.camera_02,
			rtsp_url: `rtsp://127.0.0.1:8554/${ids.camera_02}`,
			rtsp_port: '8554',
			note: `If RTSP auth configured: rtsp://user:pass@127.0.0.1:8554/${ids.camera_02}`
		});
		expect((await s.api('/api/proxy/rtsp-url', { token: admin })).status).toBe(400);
		expect((await s.api('/api/proxy/rtsp-url?id=000000000000', { token: admin })).status).toBe(404);
	});

	it('unknown API paths and methods answer in the envelope', async () => {
		const missing = await s.api('/api/nothing-here', { token: admin });
		expect(missing.status).toBe(404);
		expect(await missing.json()).toEqual({ error: 'not found' });
		const method = await s.api('/api/cameras', { method: 'PUT', token: admin, body: {} });
		expect(method.status).toBe(405);
		expect((await method.json()).error).toMatch(/method not allowed/);
	});
});

describe('PUBLIC_URL and RTSP_PORT shape the URLs handed out', () => {
	let s: TestServer;
	beforeAll(async () => {
		s = await startServer('sqlite', { PUBLIC_URL: 'https://video.example.test', RTSP_PORT: '9554' });
	});
	afterAll(() => s?.stop());

	it('uses the public origin and the configured RTSP port', async () => {
		const admin = await s.adminToken();
		const { id } = await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'c', source: 'rtsp://127.0.0.1/x' } })).json();
		const [stream] = await (await s.api('/api/proxy/streams', { token: admin })).json();
		expect(stream.ws_url).toBe(`wss://video.example.test/api/proxy/ws?id=${id}&token=${admin}`);
		expect(stream.hls_url.startsWith('https://video.example.test/api/proxy/hls?')).toBe(true);
		expect(stream.rtsp_url).toBe(`rtsp://video.example.test:9554/${id}`);
	});
});

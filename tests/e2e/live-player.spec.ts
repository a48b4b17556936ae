// The <video-stream> element of document 000's embed example plays the demo
// camera in Chromium in each mode: decoded frames counted, not just "loaded".
import { expect, test } from '@playwright/test';
import { play } from './play';

const ADMIN = { username: 'admin', password: 'e2e-admin-password' };

async function demoCamera(request: import('@playwright/test').APIRequestContext) {
	const { token } = await (await request.post('/api/auth/login', { data: ADMIN })).json();
	const cameras = await (await request.get('/api/cameras?all=true', { headers: { authorization: `Bearer ${token}` } })).json();
	const demo = cameras.find((c: { name: string }) => c.name === 'demo');
	return { token, id: demo.id as string };
}

for (const mode of ['webrtc', 'mse', 'hls']) {
	test(`plays live video over ${mode}`, async ({ page, request, baseURL }) => {
		const { token, id } = await demoCamera(request);
		const result = await play(page, mode, `${baseURL!.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${token}`);
		expect(result).toMatchObject({ activeMode: mode, width: 1280, height: 720 });
		expect(result.frames).toBeGreaterThanOrEqual(30);
		console.log(`${mode}: first frame after ${result.firstFrameMs} ms`);
	});
}

test('falls back in order: webrtc,mse,hls plays', async ({ page, request, baseURL }) => {
	const { token, id } = await demoCamera(request);
	const result = await play(page, 'webrtc,mse,hls', `${baseURL!.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${token}`);
	expect(['webrtc', 'mse']).toContain(result.activeMode);
});

test('a viewer without rights gets no video', async ({ page, request, baseURL }) => {
	const { token: admin, id } = await demoCamera(request);
	await request.post('/api/users', { headers: { authorization: `Bearer ${admin}` }, data: { username: 'e2e-viewer', password: 'viewer-password', cameras: [] } });
	const { token } = await (await request.post('/api/auth/login', { data: { username: 'e2e-viewer', password: 'viewer-password' } })).json();
	await expect(play(page, 'mse', `${baseURL!.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${token}`, 5000)).rejects.toThrow(/only 0 frames/);
});

test('embeds from another origin, as document 000 shows', async ({ page, request, baseURL }) => {
	const { token, id } = await demoCamera(request);
	// The page lives on localhost; the script and the stream come from 127.0.0.1: a cross-origin module script.
	const pageOrigin = baseURL!.replace('127.0.0.1', 'localhost');
	const result = await play(page, 'mse', `${baseURL!.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${token}`, 20_000, pageOrigin);
	expect(result.frames).toBeGreaterThanOrEqual(30);
});

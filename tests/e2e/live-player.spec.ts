// The <video-stream> element of document 000's embed example plays the demo
// camera in Chromium in each mode: decoded frames counted, not just "loaded".
import { expect, test } from '@playwright/test';
import { play, playerState } from './play';
import { startTcpProxy } from '../support/tcp-proxy';

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

test('a player off screen holds no stream; it plays when scrolled into view and stops when scrolled away', async ({ page, request, baseURL }) => {
	const { token, id } = await demoCamera(request);
	await page.goto('/api/health');
	await page.setContent(`<!doctype html><html><body style="margin:0"><script type="module" src="${baseURL}/video-stream.js"></script><div style="height:3000px"></div></body></html>`);
	await page.evaluate(async (src) => {
		await customElements.whenDefined('video-stream');
		const player = document.createElement('video-stream') as HTMLElement & { mode: string; src: string };
		player.mode = 'mse';
		player.src = src;
		player.style.cssText = 'display:block;width:640px;height:360px;margin-bottom:3000px';
		document.body.appendChild(player);
	}, `${baseURL!.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${token}`);
	await page.waitForTimeout(1500);
	expect(await playerState(page)).toBe('idle');
	await page.locator('video-stream').scrollIntoViewIfNeeded();
	await expect.poll(() => playerState(page), { timeout: 15_000 }).toBe('playing');
	await page.evaluate(() => window.scrollTo(0, 0));
	await expect.poll(() => playerState(page), { timeout: 5000 }).toBe('idle');
});

test('over a link that goes silent (network loss), the player notices the stall and plays again once the link is back', async ({ page, request, baseURL }) => {
	test.setTimeout(90_000);
	const { token, id } = await demoCamera(request);
	const link = await startTcpProxy(Number(new URL(baseURL!).port));
	try {
		const result = await play(page, 'mse', `ws://127.0.0.1:${link.port}/api/proxy/ws?id=${id}&token=${token}`);
		expect(result.activeMode).toBe('mse');
			link.cut();
		await expect.poll(() => playerState(page), { timeout: 15_000 }).toBe('reconnecting');
		await page.waitForTimeout(10_000);
		link.restore();
		await expect.poll(() => playerState(page), { timeout: 40_000 }).toBe('playing');
		const frames = await page.evaluate(
			() =>
				new Promise<number>((resolve) => {
					const video = document.querySelector('video-stream')!.shadowRoot!.querySelector('video')!;
					let n = 0;
					const count = () => (++n >= 10 ? resolve(n) : video.requestVideoFrameCallback(count));
					video.requestVideoFrameCallback(count);
				})
		);
		expect(frames).toBe(10);
	} finally {
		await link.close();
	}
});

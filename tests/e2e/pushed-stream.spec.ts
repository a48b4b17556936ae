// A pushed camera plays in Chromium like a pulled one: ffmpeg publishes over
// RTMP (with the camera's key) and over RTSP ANNOUNCE (as a user with push
// rights), and <video-stream> decodes it over WebRTC and HLS.
import { expect, test } from '@playwright/test';
import { publishTestStream, type Publishing } from '../support/publisher';
import { play } from './play';
import { rtmpPort, rtspPort } from './ports';

const ADMIN = { username: 'admin', password: 'e2e-admin-password' };
const publishers: Publishing[] = [];

test.afterAll(() => {
	for (const p of publishers) p.proc.kill('SIGKILL');
});

const sources = {
	rtmp: async (request: import('@playwright/test').APIRequestContext, admin: string) => {
		const cam = await (await request.post('/api/cameras', { headers: { authorization: `Bearer ${admin}` }, data: { name: 'e2e-rtmp-push', source: 'push' } })).json();
		publishers.push(publishTestStream(`rtmp://127.0.0.1:${rtmpPort}/live/${cam.id}?key=${cam.pushKey}`));
		return 'e2e-rtmp-push';
	},
	rtsp: async (request: import('@playwright/test').APIRequestContext, admin: string) => {
		await request.post('/api/users', { headers: { authorization: `Bearer ${admin}` }, data: { username: 'e2e-pusher', password: 'pusher-password', push: 'e2e/*' } });
		publishers.push(publishTestStream(`rtsp://e2e-pusher:pusher-password@127.0.0.1:${rtspPort}/e2e/rtsp-push?auth=basic`));
		return 'e2e/rtsp-push';
	}
};

for (const [protocol, start] of Object.entries(sources)) {
	test(`a camera pushed over ${protocol} plays over WebRTC and HLS`, async ({ page, request, baseURL }) => {
		const { token } = await (await request.post('/api/auth/login', { data: ADMIN })).json();
		const name = await start(request, token);
		const auth = { headers: { authorization: `Bearer ${token}` } };
		let id = '';
		await expect
			.poll(
				async () => {
					const cam = (await (await request.get('/api/cameras?all=true', auth)).json()).find((c: { name: string }) => c.name === name);
					if (!cam) return 'absent';
					id = cam.id;
					return (await (await request.get(`/api/cameras/${id}`, auth)).json()).status.state;
				},
				{ timeout: 20_000 }
			)
			.toBe('online');
		for (const mode of ['webrtc', 'hls']) {
			const result = await play(page, mode, `${baseURL!.replace('http', 'ws')}/api/proxy/ws?id=${id}&token=${token}`);
			expect(result).toMatchObject({ activeMode: mode, width: 640, height: 360 });
			expect(result.frames).toBeGreaterThanOrEqual(30);
		}
	});
}

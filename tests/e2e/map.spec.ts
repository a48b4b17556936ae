// The home page: the user's cameras on the map (no tiles: tests run offline), coloured
// by live status, searchable, with a popup that opens the live view.
import { expect, test } from '@playwright/test';
import { adminToken, createCamera, logIn, playing } from './helpers';

test('the map shows the cameras in their status colours, and the popup opens live video', async ({ page, request }) => {
	const token = await adminToken(request);
	// Far apart, so that no cluster hides them: a streaming camera, one that can't be reached, one nobody watches.
	const online = await createCamera(request, token, { name: 'map_hanoi', label: 'Hà Nội gate', lat: 21.0285, lon: 105.8542, source: 'demo://testpattern', keepalive: true });
	const offline = await createCamera(request, token, { name: 'map_danang', label: 'Đà Nẵng bridge', lat: 16.0544, lon: 108.2022, source: 'rtsp://127.0.0.1:9/nothing', keepalive: true });
	const idle = await createCamera(request, token, { name: 'map_nhatrang', label: 'Nha Trang beach', lat: 12.2388, lon: 109.1967, source: 'demo://testpattern' });

	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await logIn(page, '/');
	await expect(page.getByRole('heading', { name: 'Cameras' })).toBeVisible();
	await expect(page.getByText('Map tiles unavailable')).toBeVisible();
	const dot = (id: string) => page.locator(`.cam-marker [data-camera="${id}"]`);
	await expect(dot(online.id)).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
	await expect(dot(offline.id)).toHaveAttribute('data-status', 'offline', { timeout: 20_000 });
	await expect(dot(idle.id)).toHaveAttribute('data-status', 'idle');
	expect(await dot(online.id).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(34, 197, 94)');
	expect(await dot(offline.id).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(100, 116, 139)');
	// A recording starts: the marker turns to "recording" without a reload (socket.io), and back when it stops.
	const record = (action: string) => request.post(`/api/cameras/${online.id}/recording`, { headers: { authorization: `Bearer ${token}` }, data: { action } });
	expect((await record('start')).ok()).toBe(true);
	await expect(dot(online.id)).toHaveAttribute('data-status', 'recording', { timeout: 10_000 });
	expect((await record('stop')).ok()).toBe(true);
	await expect(dot(online.id)).toHaveAttribute('data-status', 'online', { timeout: 10_000 });

	// Search narrows the list; picking a result opens its popup with the latest picture.
	await page.getByRole('searchbox', { name: 'Search cameras' }).fill('hà nội');
	const list = page.getByTestId('camera-list');
	await expect(list.getByRole('listitem')).toHaveCount(1);
	await list.getByRole('button', { name: /Hà Nội gate/ }).click();
	const popup = page.locator('.cam-popup');
	await expect(popup.getByText('Hà Nội gate')).toBeVisible();
	await expect(popup.getByText('Online')).toBeVisible();
	await expect(popup.getByRole('img', { name: 'Latest picture of Hà Nội gate' })).toHaveJSProperty('complete', true);
	expect(await popup.getByRole('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1280);

	await popup.getByRole('link', { name: 'Open live' }).click();
	await expect(page).toHaveURL(`/cameras/${online.id}`);
	await expect(page.getByRole('heading', { name: 'Hà Nội gate' })).toBeVisible();
	await playing(page, `video-stream[data-camera="${online.id}"]`);
	await expect(page.getByTestId('stats-mode')).toHaveText(/webrtc|mse|hls/);
	await expect(page.getByRole('link', { name: 'Recordings' })).toHaveAttribute('href', `/cameras/${online.id}/recordings`);

	// The snapshot button saves the frame on screen as a JPEG.
	const download = page.waitForEvent('download');
	await page.getByRole('button', { name: 'Snapshot' }).click();
	expect((await download).suggestedFilename()).toMatch(/^H.*\.jpg$/);
	await page.screenshot({ path: 'test-results/e2e/live-view.png' });
	expect(errors).toEqual([]);
});

test('near me sorts the cameras by distance from the phone', async ({ page, context }) => {
	await context.grantPermissions(['geolocation']);
	await context.setGeolocation({ latitude: 16.06, longitude: 108.2 }); // Đà Nẵng
	await logIn(page, '/');
	await page.getByRole('button', { name: 'Near me' }).click();
	const first = page.getByTestId('camera-list').getByRole('listitem').first();
	await expect(first).toContainText('Đà Nẵng bridge');
	await expect(first).toContainText(/\d+ (m|km)/);
	await page.screenshot({ path: 'test-results/e2e/map.png' });
});

test('a camera the user may not see is not found', async ({ page }) => {
	await logIn(page, '/');
	const res = await page.goto('/cameras/000000000000');
	expect(res?.status()).toBe(404);
});

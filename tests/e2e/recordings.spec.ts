// Recordings in Chromium: the HLS VOD playlist plays through hls.js, seeks,
// changes speed and pauses; the page shows the calendar and the timeline, records
// by hand and exports a clip with progress and a download.
import { expect, test } from '@playwright/test';
import { ADMIN, logIn } from './helpers';

test('a recorded camera plays, seeks, changes speed, records by hand and exports', async ({ page, request }) => {
	test.setTimeout(90_000);
	const { token } = await (await request.post('/api/auth/login', { data: ADMIN })).json();
	const headers = { authorization: `Bearer ${token}` };
	const cam = await (await request.post('/api/cameras', { headers, data: { name: 'e2e_recorded', source: 'demo://testpattern', recordMode: 'continuous', segmentSec: 2 } })).json();
	await expect
		.poll(async () => (await (await request.get(`/api/cameras/${cam.id}/recordings`, { headers })).json()).segments.filter((s: { open: boolean }) => !s.open).length, { timeout: 30_000 })
		.toBeGreaterThanOrEqual(4);

	await logIn(page, `/cameras/${cam.id}/recordings`);
	await expect(page.getByRole('heading', { name: /Recordings/ })).toBeVisible();
	const today = new Date();
	const iso = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
	await expect(page.getByTestId('calendar').locator(`[data-day="${iso}"]`)).toHaveClass(/footage/);
	await expect(page.getByTestId('span').first()).toBeVisible();
	await expect(page.getByTestId('recording-state')).toContainText('Recording (continuous)');

	// Play: hls.js over the VOD playlist.
	const video = page.getByTestId('playback');
	await page.getByRole('button', { name: 'Play' }).click();
	await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 }).toBeGreaterThan(1);
	expect(await video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBe(1280);

	// Seek forward across a segment boundary, and it keeps playing from there.
	await video.evaluate((v: HTMLVideoElement) => (v.currentTime = 5.5));
	await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime > 5.5 && !v.seeking && v.readyState >= 3), { timeout: 10_000 }).toBe(true);
	await expect(page.getByTestId('position')).not.toHaveText('--:--:--');

	// Speed, then pause.
	await page.getByLabel('Speed').selectOption('4');
	expect(await video.evaluate((v: HTMLVideoElement) => v.playbackRate)).toBe(4);
	await page.getByRole('button', { name: 'Pause' }).click();
	const pausedAt = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
	await page.waitForTimeout(500);
	expect(await video.evaluate((v: HTMLVideoElement) => v.paused && v.currentTime)).toBe(pausedAt);

	// A click on the timeline's first span plays from there.
	await page.getByTestId('span').first().click();
	await expect.poll(() => video.evaluate((v: HTMLVideoElement) => !v.paused)).toBe(true);

	// Manual recording on top of continuous, and off again.
	await page.getByRole('button', { name: 'Record' }).click();
	await expect(page.getByTestId('recording-state')).toContainText('Recording (manual)');
	await page.getByRole('button', { name: 'Stop recording' }).click();
	await expect(page.getByTestId('recording-state')).toContainText('Recording (continuous)');

	// Export 3 s from the current position: progress, then a download. (At 4× the
	// footage may have played to its end by now, paused by itself: pause it directly.)
	await video.evaluate((v: HTMLVideoElement) => v.pause());
	await video.evaluate((v: HTMLVideoElement) => (v.currentTime = 1));
	await page.getByLabel('Export seconds').fill('3');
	await page.getByRole('button', { name: 'Export' }).click();
	const link = page.getByTestId('export-download');
	await expect(link).toBeVisible({ timeout: 20_000 });
	expect(await page.getByLabel('Export progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(100);
	const download = await request.get((await link.getAttribute('href'))!, { headers });
	expect(download.status()).toBe(200);
	expect(download.headers()['content-type']).toBe('video/mp4');
	expect((await download.body()).length).toBeGreaterThan(10_000);

	await request.patch(`/api/cameras/${cam.id}`, { headers, data: { recordMode: 'off' } });
});

test('a camera the user may not see has no recordings page', async ({ page }) => {
	await logIn(page, '/cameras/000000000000/recordings');
	await expect(page.getByText(/camera not found|Not found/i)).toBeVisible();
});

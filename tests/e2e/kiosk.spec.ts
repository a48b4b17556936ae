// The kiosk wall on a server of its own, so that the server can be restarted under it:
// no chrome, tours, and tiles that recover by themselves after a restart or a network loss.
import { expect, test } from '@playwright/test';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server';
import { startTcpProxy } from '../support/tcp-proxy';
import { playing } from './helpers';

let s: TestServer;
const ids: string[] = [];
const tile = (i: number) => `[data-tile="${i}"] video-stream`;

test.beforeAll(async () => {
	s = await startServer('sqlite', { TILE_URL: '' });
	const token = await s.adminToken();
	for (const [name, label] of [['kiosk_a', 'Kiosk A'], ['kiosk_b', 'Kiosk B']]) {
		const res = await s.api('/api/cameras', { method: 'POST', token, body: { name, label, source: 'demo://testpattern' } });
		ids.push((await res.json()).id);
	}
});
test.afterAll(async () => s?.stop());

test.beforeEach(async ({ page }) => {
	await page.goto(`${s.base}/login`, { waitUntil: 'networkidle' });
	await page.getByLabel('Username').fill('admin');
	await page.getByLabel('Password').fill(ADMIN_PASSWORD);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${s.base}/`);
});

test('the kiosk plays without chrome and recovers by itself after the server restarts', async ({ page }) => {
	test.setTimeout(120_000);
	await page.goto(`${s.base}/kiosk?cameras=${ids.join(',')}`);
	await expect(page.getByRole('banner')).toHaveCount(0);
	await expect(page.getByTestId('kiosk')).toHaveCSS('cursor', 'none');
	await playing(page, tile(0));
	await playing(page, tile(1));

	await s.restart();
	// Both tiles come back alone: no reload, no click.
	await playing(page, tile(0), 60_000);
	await playing(page, tile(1), 60_000);
	// Still moving past the players' stall timeout (5 s): fresh frames from the new server, not a stale picture.
	await page.waitForTimeout(6000);
	await playing(page, tile(0), 30_000);
	await playing(page, tile(1), 30_000);
	await expect(page.getByRole('status', { name: 'Server unreachable: reconnecting' })).toHaveCount(0, { timeout: 15_000 });
	await page.screenshot({ path: 'test-results/e2e/kiosk.png' });
});

test('the kiosk rides out a network loss: the tiles play again by themselves once the link is back', async ({ page }) => {
	test.setTimeout(120_000);
	// The wall reaches the server through a link the test can cut (the session cookie is per host, not port).
	const link = await startTcpProxy(s.port);
	try {
		await page.goto(`http://127.0.0.1:${link.port}/kiosk?cameras=${ids.join(',')}`);
		await playing(page, tile(0));
		await playing(page, tile(1));
		link.cut();
		await page.waitForTimeout(15_000);
		link.restore();
		await playing(page, tile(0), 60_000);
		await playing(page, tile(1), 60_000);
		await page.waitForTimeout(6000);
		await playing(page, tile(0), 30_000);
		await playing(page, tile(1), 30_000);
	} finally {
		await link.close();
	}
});

test('a tour shows one camera after the other', async ({ page }) => {
	await page.goto(`${s.base}/kiosk?cameras=${ids.join(',')}&cycle=5`);
	await expect(page.locator('video-stream')).toHaveCount(1);
	await expect(page.locator('video-stream')).toHaveAttribute('data-camera', ids[0]);
	await expect(page.locator('video-stream')).toHaveAttribute('data-camera', ids[1], { timeout: 8000 });
});

test('an unknown layout says so', async ({ page }) => {
	await page.goto(`${s.base}/kiosk?layout=nope`);
	await expect(page.getByRole('alert')).toHaveText('No saved layout named nope');
});

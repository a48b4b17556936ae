// The installable app: a valid web manifest with its icons, an active Workbox
// service worker, and the offline page when the network is gone.
import { expect, test } from '@playwright/test';
import { logIn } from './helpers';

/** Width and height from a PNG's IHDR chunk. */
const pngSize = (b: Buffer) => [b.readUInt32BE(16), b.readUInt32BE(20)];

test('the manifest is valid and its icons exist in their sizes', async ({ page, request }) => {
	await page.goto('/login');
	const href = await page.locator('link[rel="manifest"]').getAttribute('href');
	const res = await request.get(new URL(href!, page.url()).href);
	expect(res.ok()).toBe(true);
	const manifest = await res.json();
	expect(manifest).toMatchObject({ name: expect.any(String), short_name: 'Vantage', start_url: '/', display: 'standalone', theme_color: '#0f172a' });
	const purposes = new Set<string>();
	for (const icon of manifest.icons) {
		const png = await request.get(icon.src);
		expect(png.headers()['content-type']).toBe('image/png');
		expect(pngSize(await png.body()).join('x')).toBe(icon.sizes);
		purposes.add(`${icon.sizes} ${icon.purpose}`);
	}
	expect([...purposes].sort()).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
});

test('the service worker activates and serves the offline page without network', async ({ page, context }) => {
	await logIn(page, '/');
	// ready resolves once a worker is active, which may still be "activating".
	await expect.poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state), { timeout: 15_000 }).toBe('activated');
	await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

	await context.setOffline(true);
	await page.goto('/grid');
	await expect(page.getByRole('heading', { name: 'You are offline' })).toBeVisible();
	await page.screenshot({ path: 'test-results/e2e/offline.png' });

	// Back online, it returns to the page that was asked for by itself.
	await context.setOffline(false);
	await expect(page.getByRole('radio', { name: '4 tiles' })).toBeVisible();
});

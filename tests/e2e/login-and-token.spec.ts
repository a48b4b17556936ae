// A person logs in through the browser and opens "Your API token" (document 000).
import { expect, test } from '@playwright/test';
import { ADMIN, logIn } from './helpers';

test('wrong password shows an error, the right one opens the camera list', async ({ page }) => {
	await page.goto('/', { waitUntil: 'networkidle' }); // hydrated: it would clear fields filled before
	await expect(page).toHaveURL(/\/login\?next=%2F/);
	await page.getByLabel('Username').fill('admin');
	await page.getByLabel('Password').fill('not-the-password');
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('alert')).toHaveText('invalid username or password');

	await page.getByLabel('Password').fill(ADMIN.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('heading', { name: 'Cameras' })).toBeVisible();
	await expect(page.getByText('admin · admin')).toBeVisible();
});

test('the API token page shows a working token, camera IDs with URLs, and filled examples', async ({ page, request, baseURL }) => {
	// A camera to list, created through the API as an integrator would.
	const login = await (await request.post('/api/auth/login', { data: ADMIN })).json();
	const cam = await (
		await request.post('/api/cameras', {
			headers: { authorization: `Bearer ${login.token}` },
			data: { name: 'e2e_cam', label: 'Cổng trường', lat: 10.8, lon: 106.7, source: 'rtsp://127.0.0.1:8554/test' }
		})
	).json();

	await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
	await logIn(page, '/token');
	await expect(page.getByRole('heading', { name: 'Your API token' })).toBeVisible();

	// The token shown works against the API.
	const token = (await page.getByTestId('api-token').textContent())!.trim();
	const me = await request.get('/api/auth/me', { headers: { authorization: `Bearer ${token}` } });
	expect(await me.json()).toEqual({ username: 'admin', role: 'admin' });

	// Copy the token, then a camera's RTSP URL.
	await page.getByRole('button', { name: 'Copy token' }).click();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
	const row = page.getByTestId('camera-ids').getByRole('row', { name: new RegExp(cam.id) });
	await expect(row).toContainText('Cổng trường');
	await row.getByRole('button', { name: 'RTSP' }).click();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`rtsp://127.0.0.1:18554/${cam.id}`);
	await row.getByRole('button', { name: 'WS' }).click();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${baseURL!.replace('http', 'ws')}/api/proxy/ws?id=${cam.id}&token=${token}`);

	// The endpoint reference is filled with this host and token, in each language.
	const streams = page.locator('details', { hasText: '/api/proxy/streams' });
	await streams.locator('summary').click();
	await expect(streams.locator('pre')).toContainText(`curl -H "Authorization: Bearer ${token}"`);
	await expect(streams.locator('pre')).toContainText(`${baseURL}/api/proxy/streams`);
	await page.getByRole('tab', { name: 'python' }).click();
	await expect(streams.locator('pre')).toContainText('import requests');
	await page.getByRole('tab', { name: 'javascript' }).click();
	await expect(streams.locator('pre')).toContainText('await fetch(');
	await page.screenshot({ path: 'test-results/e2e/token-page.png', fullPage: true });

	// Logging out ends the session.
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page).toHaveURL(/\/login/);
	await page.goto('/token');
	await expect(page).toHaveURL(/\/login\?next=%2Ftoken/);
});

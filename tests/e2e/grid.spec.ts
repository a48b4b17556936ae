// The multi-view grid: four cameras placed by pick and by drag, the layout saved on
// the server and restored after a reload, every tile playing live.
import { expect, test } from '@playwright/test';
import { adminToken, createCamera, logIn, playing } from './helpers';

test('the grid saves and restores a layout of four cameras, and every tile plays', async ({ page, request }) => {
	const token = await adminToken(request);
	const [a, b, c, d] = await Promise.all(
		['gate', 'yard', 'dock', 'roof'].map((place) => createCamera(request, token, { name: `grid_${place}`, label: `Grid ${place}`, source: 'demo://testpattern' }))
	);
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));

	await logIn(page, '/grid');
	await page.getByRole('radio', { name: '4 tiles' }).click();
	await expect(page.getByTestId('grid').locator('[data-tile]')).toHaveCount(4);
	// Tiles 1 to 3 by pick, tile 4 by drag from the camera list.
	await page.getByRole('combobox', { name: 'Camera for tile 1' }).selectOption(a.id);
	await page.getByRole('combobox', { name: 'Camera for tile 2' }).selectOption(c.id);
	await page.getByRole('combobox', { name: 'Camera for tile 3' }).selectOption(d.id);
	await page.getByRole('button', { name: 'Add Grid yard to the grid' }).dragTo(page.locator('[data-tile="3"]'));
	await expect(page.locator('[data-tile="3"] video-stream')).toHaveAttribute('data-camera', b.id);
	const name = `Wall ${Date.now()}`;
	await page.getByRole('textbox', { name: 'Layout name' }).fill(name);
	await page.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByRole('status').filter({ hasText: `Saved “${name}”` })).toBeVisible();
	await expect(page).toHaveURL(/\?layout=[0-9a-f]{12}$/);

	// Restored after a reload, from the server.
	await page.goto('/grid');
	await page.getByRole('combobox', { name: 'Saved layouts' }).selectOption({ label: name });
	const order = [a, c, d, b];
	for (const [i, camera] of order.entries()) await expect(page.locator(`[data-tile="${i}"] video-stream`)).toHaveAttribute('data-camera', camera.id);
	for (const i of order.keys()) await playing(page, `[data-tile="${i}"] video-stream`);
	await page.screenshot({ path: 'test-results/e2e/grid.png' });

	const saved = await (await page.request.get('/api/layouts')).json();
	expect(saved.find((l: { name: string }) => l.name === name)).toMatchObject({ size: 4, cameras: order.map((x) => x.id) });
	expect(errors).toEqual([]);
});

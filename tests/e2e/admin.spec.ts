// Admin pages: a camera created with its pin placed on the map, edited, deleted;
// a user given rights to one camera; non-admins kept out.
import { expect, test } from '@playwright/test';
import { logIn } from './helpers';

test('an admin adds a camera with a pin, edits and deletes it, and grants it to a new user', async ({ page }) => {
	page.on('dialog', (d) => void d.accept());
	const name = `admin_cam_${Date.now().toString(36)}`;
	const user = `field_${Date.now().toString(36)}`;
	await logIn(page, '/admin/cameras');
	await page.getByRole('button', { name: 'Add camera' }).click();
	const form = page.getByRole('form', { name: 'Add camera' });
	await form.getByLabel('Name').fill(name);
	await form.getByLabel('Label').fill('Cổng chính');
	await form.getByLabel('Source').fill('rtsp://cam:secret@127.0.0.1:9/stream');
	await form.getByRole('application', { name: 'Map of cameras' }).click({ position: { x: 120, y: 80 } });
	await expect(form.getByLabel('Latitude')).not.toHaveValue('');
	await form.getByRole('button', { name: 'Save' }).click();
	const row = page.getByTestId('admin-cameras').getByRole('row', { name: new RegExp(name) });
	await expect(row).toContainText('Cổng chính');
	await expect(row).toContainText('rtsp://cam:***@127.0.0.1:9/stream');
	await expect(row.getByRole('cell').nth(3)).toHaveText(/^-?\d+(\.\d+)?, -?\d+(\.\d+)?$/);

	await row.getByRole('button', { name: `Edit ${name}` }).click();
	const edit = page.getByRole('form', { name: 'Edit camera' });
	await expect(edit.getByLabel('Source')).toHaveValue('rtsp://cam:secret@127.0.0.1:9/stream');
	await edit.getByLabel('Label').fill('Cổng phụ');
	await edit.getByRole('button', { name: 'Save' }).click();
	await expect(row).toContainText('Cổng phụ');

	await page.getByRole('link', { name: 'Users' }).click();
	await page.getByRole('button', { name: 'Add user' }).click();
	const uf = page.getByRole('form', { name: 'Add user' });
	await uf.getByLabel('Username').fill(user);
	await uf.getByLabel('Password').fill('a long password');
	await uf.getByRole('checkbox', { name: /Cổng phụ/ }).check();
	await uf.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByTestId('admin-users').getByRole('row', { name: new RegExp(user) })).toContainText('Cổng phụ');
	await page.screenshot({ path: 'test-results/e2e/admin-users.png' });

	await page.getByRole('link', { name: 'Cameras' }).click();
	await row.getByRole('button', { name: `Edit ${name}` }).click();
	await page.getByRole('form', { name: 'Edit camera' }).getByRole('button', { name: 'Delete' }).click();
	await expect(row).toHaveCount(0);

	// The new user is no admin.
	await page.getByRole('button', { name: 'Log out' }).click();
	await logIn(page, '/', { username: user, password: 'a long password' });
	await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
	expect((await page.goto('/admin/users'))?.status()).toBe(403);
});

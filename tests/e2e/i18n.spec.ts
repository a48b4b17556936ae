// English, Vietnamese and Chinese: chosen from the browser, changed with the switch, remembered.
import { expect, test } from '@playwright/test';
import { ADMIN } from './helpers';

test.use({ locale: 'vi-VN' });

test('each language renders: the browser\'s first, then the switch', async ({ page }) => {
	await page.goto('/login', { waitUntil: 'networkidle' });
	await expect(page.locator('html')).toHaveAttribute('lang', 'vi');
	await page.getByLabel('Tên đăng nhập').fill(ADMIN.username);
	await page.getByLabel('Mật khẩu').fill(ADMIN.password);
	await page.getByRole('button', { name: 'Đăng nhập' }).click();
	await expect(page.getByRole('heading', { name: 'Camera' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Bản đồ' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Gần tôi' })).toBeVisible();

	await page.getByRole('combobox', { name: 'Ngôn ngữ' }).selectOption('zh');
	await expect(page.getByRole('link', { name: '地图' })).toBeVisible();
	await expect(page.getByRole('heading', { name: '摄像机' })).toBeVisible();
	await page.goto('/grid');
	await expect(page.locator('html')).toHaveAttribute('lang', 'zh');
	await expect(page.getByRole('button', { name: '保存' })).toBeVisible();
	await page.screenshot({ path: 'test-results/e2e/grid-zh.png' });

	await page.getByRole('combobox', { name: '语言' }).selectOption('en');
	await expect(page.getByRole('button', { name: 'Save' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Map' })).toBeVisible();
});

// Shared steps of the app's end-to-end tests: an admin token, cameras made through the API, a browser login.
import { expect, type APIRequestContext, type Page } from '@playwright/test';

export const ADMIN = { username: 'admin', password: 'e2e-admin-password' };

export async function adminToken(request: APIRequestContext): Promise<string> {
	return (await (await request.post('/api/auth/login', { data: ADMIN })).json()).token;
}

/** POST /api/cameras as the admin; a unique name from `name`. */
export async function createCamera(request: APIRequestContext, token: string, camera: Record<string, unknown>) {
	const res = await request.post('/api/cameras', {
		headers: { authorization: `Bearer ${token}` },
		data: { ...camera, name: `${camera.name}_${Date.now().toString(36)}` }
	});
	expect(res.status(), await res.text()).toBe(201);
	return (await res.json()) as { id: string; name: string; label: string };
}

export async function logIn(page: Page, next = '/', user = ADMIN) {
	// After hydration: it would clear a field filled before it.
	await page.goto(`/login?next=${encodeURIComponent(next)}`, { waitUntil: 'networkidle' });
	await page.getByLabel('Username').fill(user.username);
	await page.getByLabel('Password').fill(user.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL((url) => url.pathname === next.split('?')[0]);
}

/** Waits until the <video-stream> matched by `selector` shows moving pictures (frames counted by the player). */
export async function playing(page: Page, selector: string, timeoutMs = 20_000) {
	await page.waitForFunction(
		(selector) => {
			const el = document.querySelector(selector) as (HTMLElement & { state?: string; video?: HTMLVideoElement; stats?: { fps: number | null } }) | null;
			return el?.state === 'playing' && (el.video?.videoWidth ?? 0) > 0 && (el.stats?.fps ?? 0) > 0;
		},
		selector,
		{ timeout: timeoutMs, polling: 250 }
	);
}

// Phones first: every page of the app at 360×640 (portrait), 640×360 (landscape) and
// 1920×1080 fits the width (no sideways scrolling), and on phones every control a
// finger uses is at least 44×44 px. Screenshots of each are kept in test-results/e2e/screens.
import { expect, test, type Page } from '@playwright/test';
import { adminToken, createCamera, logIn } from './helpers';

const SIZES = [
	{ name: '360x640', width: 360, height: 640, phone: true },
	{ name: '640x360', width: 640, height: 360, phone: true },
	{ name: '1920x1080', width: 1920, height: 1080, phone: false }
];
const TOUCH_PX = 44;

/** Visible controls smaller than a fingertip: buttons, links, fields, Leaflet's own controls. */
async function smallTargets(page: Page) {
	return page.evaluate((min) => {
		const controls = document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [role=button], [role=radio], [tabindex="0"]');
		const small: string[] = [];
		for (const el of controls) {
			const r = el.getBoundingClientRect();
			const style = getComputedStyle(el);
			if (!r.width || !r.height || style.visibility === 'hidden') continue;
			// A link inside running text is read, not aimed at: the line is its target.
			if (el.tagName === 'A' && getComputedStyle(el.parentElement!).display === 'inline') continue;
			// Leaflet's attribution line is text with links in it.
			if (el.closest('.leaflet-control-attribution')) continue;
			// A checkbox or radio inside its label: the label is the target.
			const label = el.closest('label');
			const box = label && (el as HTMLInputElement).type?.match(/checkbox|radio/) ? label.getBoundingClientRect() : r;
			if (box.width < min - 0.5 || box.height < min - 0.5)
				small.push(`${el.tagName.toLowerCase()}${el.getAttribute('aria-label') ? `[${el.getAttribute('aria-label')}]` : ''} "${(el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
		}
		return small;
	}, TOUCH_PX);
}

test('every page fits phones and desktops, with finger-sized controls on phones', async ({ page, request }) => {
	test.setTimeout(180_000);
	const token = await adminToken(request);
	const cam = await createCamera(request, token, { name: 'phone_cam', label: 'Phone cam', lat: 10.7769, lon: 106.7009, source: 'demo://testpattern' });
	await logIn(page, '/');
	const pages = [
		{ name: 'map', path: '/' },
		{ name: 'live', path: `/cameras/${cam.id}` },
		{ name: 'recordings', path: `/cameras/${cam.id}/recordings` },
		{ name: 'grid', path: '/grid' },
		{ name: 'kiosk', path: `/kiosk?cameras=${cam.id}` },
		{ name: 'admin-cameras', path: '/admin/cameras' },
		{ name: 'admin-users', path: '/admin/users' },
		{ name: 'token', path: '/token' }
	];
	const problems: string[] = [];
	for (const size of SIZES) {
		await page.setViewportSize({ width: size.width, height: size.height });
		for (const p of pages) {
			await page.goto(p.path, { waitUntil: 'networkidle' });
			await page.screenshot({ path: `test-results/e2e/screens/${p.name}-${size.name}.png` });
			const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
			if (overflow > 0) problems.push(`${p.name} at ${size.name}: ${overflow} px wider than the screen`);
			if (size.phone) for (const t of await smallTargets(page)) problems.push(`${p.name} at ${size.name}: ${t}`);
		}
	}
	expect(problems).toEqual([]);
});

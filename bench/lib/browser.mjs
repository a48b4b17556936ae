// Debian's Chromium through Playwright (never a downloaded browser), closed at cleanup.
import { chromium } from '@playwright/test';
import { onCleanup } from './run.mjs';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export async function launchChromium() {
	// Signals are the bench's to handle (lib/run.mjs): Playwright's own handler would exit mid-cleanup.
	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
	onCleanup(() => browser.close());
	return browser;
}

/** A fresh context and page on the server's origin with /video-stream.js loaded and defined. */
export async function playerPage(browser, base) {
	const context = await browser.newContext();
	const page = await context.newPage();
	page.on('console', (m) => m.type() === 'error' && process.env.BENCH_VERBOSE && console.error(`  [page] ${m.text()}`));
	await page.goto(`${base}/api/health`);
	await page.setContent('<!doctype html><html><body style="margin:0"><script type="module" src="/video-stream.js"></script></body></html>');
	await page.evaluate(() => customElements.whenDefined('video-stream'));
	return { context, page };
}

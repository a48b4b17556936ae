// Plays a camera in Chromium through /video-stream.js, as document 000's embed example does.
import type { Page } from '@playwright/test';

/** Embeds the player exactly as document 000 shows and counts decoded frames. */
export async function play(page: Page, mode: string, src: string, limitMs = 20_000, pageOrigin?: string) {
	const scriptUrl = new URL('/video-stream.js', src.replace(/^ws/, 'http')).href;
	await page.goto(`${pageOrigin ?? ''}/api/health`);
	await page.setContent(`<!doctype html><html><body style="margin:0"><script type="module" src="${scriptUrl}"></script></body></html>`);
	return page.evaluate(
		async ({ mode, src, limitMs }) => {
			await customElements.whenDefined('video-stream');
			const started = performance.now();
			const player = document.createElement('video-stream') as HTMLElement & { mode: string; src: string; activeMode: string };
			player.mode = mode;
			player.src = src;
			player.style.cssText = 'display:block;width:640px;height:360px';
			document.body.appendChild(player);
			const video = player.shadowRoot!.querySelector('video')!;
			let frames = 0;
			let first = 0;
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`only ${frames} frames in ${limitMs} ms (mode ${player.activeMode})`)), limitMs);
				const count = () => {
					frames++;
					if (frames === 1) first = performance.now() - started;
					if (frames >= 30) (clearTimeout(timer), resolve());
					else video.requestVideoFrameCallback(count);
				};
				video.requestVideoFrameCallback(count);
			});
			return { frames, width: video.videoWidth, height: video.videoHeight, activeMode: player.activeMode, firstFrameMs: Math.round(first) };
		},
		{ mode, src, limitMs }
	);
}

/** The state of the page's <video-stream>: idle, connecting, playing, reconnecting or error. */
export const playerState = (page: Page) => page.evaluate(() => (document.querySelector('video-stream') as HTMLElement & { state: string }).state);

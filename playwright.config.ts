import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { port, rtmpPort, rtspPort } from './tests/e2e/ports';

const dataDir = mkdtempSync(path.join(tmpdir(), 'vantage-e2e-'));

// Debian's Chromium (scripts/setup.sh installs it); Playwright's own browser download can't work offline.
export default defineConfig({
	testDir: 'tests/e2e',
	outputDir: 'test-results/e2e',
	timeout: 60_000,
	workers: 1,
	reporter: [['list']],
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		launchOptions: {
			executablePath: '/usr/bin/chromium',
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required']
		}
	},
	webServer: {
		command: 'node server.js',
		url: `http://127.0.0.1:${port}/api/health`,
		reuseExistingServer: false,
		timeout: 60_000,
		env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_PASSWORD: 'e2e-admin-password', RTSP_PORT: String(rtspPort), RTMP_PORT: String(rtmpPort), TILE_URL: '' }
	}
});

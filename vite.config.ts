import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';
import { realtimeDevPlugin } from './src/lib/server/realtime/vite-plugin.js';

export default defineConfig({
	plugins: [sveltekit(), realtimeDevPlugin()],
	test: {
		include: ['tests/**/*.test.ts', 'src/**/*.test.ts'],
		testTimeout: 60_000,
		hookTimeout: 120_000,
		fileParallelism: false
	}
});

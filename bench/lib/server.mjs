// The real built server (node server.js) on 127.0.0.1 with a scratch DATA_DIR,
// logged in as admin, plus the camera calls the benches need.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { endTree, freePort, onCleanup, sleep, spawnTracked, until } from './run.mjs';

/** The checkout to run: this repository, or BENCH_ROOT (e.g. a snapshot built elsewhere). */
export const ROOT = path.resolve(process.env.BENCH_ROOT ?? path.join(import.meta.dirname, '../..'));
export const ADMIN_PASSWORD = 'bench-admin-password';

export async function startServer(env = {}) {
	if (!existsSync(path.join(ROOT, 'build/handler.js'))) throw new Error(`no build in ${ROOT}: run \`npm run build\` first`);
	const dataDir = mkdtempSync(path.join(tmpdir(), 'vantage-bench-'));
	onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	const child = spawnTracked(process.execPath, ['server.js'], {
		cwd: ROOT,
		env: {
			...process.env,
			PORT: String(port),
			HOST: '127.0.0.1',
			DATA_DIR: dataDir,
			ADMIN_PASSWORD,
			DEMO_CAMERA: 'false',
			RTSP_PORT: String(await freePort()),
			RTMP_PORT: String(await freePort()), // listened on by servers with an RTMP publish server
			...env
		}
	});
	await until(async () => {
		if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${child.log}`);
		return (await fetch(`${base}/api/health`)).ok;
	}, 30_000, 'the server to answer /api/health').catch((e) => {
		throw new Error(`${e.message}\n${child.log}`);
	});

	const api = async (pathname, { method = 'GET', token, body } = {}) => {
		const headers = {};
		if (token) headers.authorization = `Bearer ${token}`;
		if (body !== undefined) headers['content-type'] = 'application/json';
		const res = await fetch(base + pathname, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
		if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
		return res.status === 204 ? null : res.json();
	};
	const { token } = await api('/api/auth/login', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } });

	const server = {
		base,
		ws: base.replace('http', 'ws'),
		port,
		pid: child.pid,
		token,
		api,
		output: () => child.log,
		/** A camera; keepalive: its ingest stays on with no viewer. */
		createCamera: async (name, source, keepalive = true) => (await api('/api/cameras', { method: 'POST', token, body: { name, source, keepalive } })).id,
		status: async (id) => (await api(`/api/cameras/${id}`, { token })).status,
		consumers: (id) => api(`/api/cameras/${id}/consumers`, { token }),
		/** Waits for 'online', then settleMs more (the keyframe cache full, rates measured). */
		async waitOnline(id, settleMs = 3000) {
			await until(async () => (await server.status(id)).state === 'online', 20_000, `camera ${id} online`).catch((e) => {
				throw new Error(`${e.message}\n${child.log}`);
			});
			await sleep(settleMs);
			return server.status(id);
		},
		/** Waits until the camera has no viewer of that protocol (all viewers when none given). */
		waitNoViewer: (id, protocol, timeoutMs = 60_000) =>
			until(async () => !(await server.consumers(id)).some((c) => !protocol || c.protocol === protocol), timeoutMs, `no ${protocol ?? ''} viewer of ${id}`),
		stop: () => endTree(child)
	};
	return server;
}

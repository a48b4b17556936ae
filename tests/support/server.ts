// Starts the real built server (node server.js) on a free port with its own
// DATA_DIR and database, the way `npm start` runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPostgresDatabase, type Provider } from './databases';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const ADMIN_PASSWORD = 'admin-test-password';
export const JWT_SECRET = 'test-secret-for-forging-expired-tokens-0123456789';

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address() as { port: number };
			s.close(() => resolve(port));
		});
	});
}

export interface TestServer {
	base: string;
	port: number;
	dataDir: string;
	provider: Provider;
	output: () => string;
	/** POST /api/auth/login; the parsed body (throws unless 200). */
	login(username: string, password: string): Promise<string>;
	adminToken(): Promise<string>;
	/** fetch relative to base, with an optional bearer token and JSON body. */
	api(pathname: string, init?: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
	restart(): Promise<void>;
	stop(): Promise<void>;
}

async function waitHealthy(base: string, child: ChildProcess, output: () => string) {
	const deadline = Date.now() + 30_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
		try {
			if ((await fetch(`${base}/api/health`)).ok) return;
		} catch {
			/* not listening yet */
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`server did not become healthy:\n${output()}`);
}

export async function startServer(provider: Provider, env: Record<string, string> = {}): Promise<TestServer> {
	const dataDir = mkdtempSync(path.join(tmpdir(), 'vantage-test-'));
	const pgDb = provider === 'postgresql' ? await createPostgresDatabase('vantage_test') : undefined;
	const port = await freePort();
	// Each test server gets its own RTSP and RTMP ports (tests may set their own).
	const rtspPort = await freePort();
	const rtmpPort = await freePort();
	const base = `http://127.0.0.1:${port}`;
	let log = '';
	let child: ChildProcess;
	let adminToken: string | undefined;

	const launch = async () => {
		child = spawn(process.execPath, ['server.js'], {
			cwd: ROOT,
			env: {
				...process.env,
				PORT: String(port),
				HOST: '127.0.0.1',
				DATA_DIR: dataDir,
				ADMIN_PASSWORD,
				JWT_SECRET,
				// Tests make their own cameras; the demo camera has a test of its own.
				DEMO_CAMERA: 'false',
				RTSP_PORT: String(rtspPort),
				RTMP_PORT: String(rtmpPort),
				...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
				...env
			},
			stdio: ['ignore', 'pipe', 'pipe']
		});
		child.stdout!.on('data', (d) => (log += d));
		child.stderr!.on('data', (d) => (log += d));
		await waitHealthy(base, child, () => log);
	};
	const halt = async () => {
		if (child.exitCode !== null) return;
		const exited = new Promise((r) => child.once('exit', r));
		child.kill('SIGTERM');
		await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
		if (child.exitCode === null) child.kill('SIGKILL');
	};
	await launch();

	const server: TestServer = {
		base,
		port,
		dataDir,
		provider,
		output: () => log,
		async api(pathname, init = {}) {
			const headers: Record<string, string> = { ...init.headers };
			if (init.token) headers.authorization = `Bearer ${init.token}`;
			if (init.body !== undefined) headers['content-type'] = 'application/json';
			return fetch(base + pathname, {
				method: init.method ?? 'GET',
				headers,
				body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body)
			});
		},
		async login(username, password) {
			const res = await server.api('/api/auth/login', { method: 'POST', body: { username, password } });
			if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
			return (await res.json()).token;
		},
		async adminToken() {
			return (adminToken ??= await server.login('admin', ADMIN_PASSWORD));
		},
		async restart() {
			await halt();
			await launch();
		},
		async stop() {
			await halt();
			await pgDb?.drop();
			rmSync(dataDir, { recursive: true, force: true });
		}
	};
	return server;
}

// Starts tests/support/fake-rtsp-camera.py (GStreamer's RTSP server) under
// Debian's python3 and counts the clients that connect to it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './server';

export interface FakeCamera {
	url: string;
	port: number;
	/** RTSP client connections seen so far. */
	clients(): number;
	stop(): Promise<void>;
	/** Starts it again on the same port (after stop). */
	start(): Promise<void>;
}

export async function startFakeCamera(opts: { audio?: boolean; port?: number } = {}): Promise<FakeCamera> {
	const port = opts.port ?? (await freePort());
	let child: ChildProcess | undefined;
	let clients = 0;
	const start = () =>
		new Promise<void>((resolve, reject) => {
			const script = path.join(import.meta.dirname, 'fake-rtsp-camera.py');
			const proc = spawn('/usr/bin/python3', [script, String(port), opts.audio ? 'audio' : 'video'], { stdio: ['ignore', 'pipe', 'pipe'] });
			child = proc;
			let out = '';
			const timer = setTimeout(() => reject(new Error(`fake camera did not start: ${out}`)), 10_000);
			proc.stdout!.on('data', (d: Buffer) => {
				out += d;
				for (const line of d.toString().split('\n')) {
					if (line === 'ready') (clearTimeout(timer), resolve());
					if (line === 'client-connected') clients++;
				}
			});
			proc.stderr!.on('data', (d: Buffer) => (out += d));
			proc.on('exit', (code) => (clearTimeout(timer), code && reject(new Error(`fake camera exited ${code}: ${out}`))));
		});
	await start();
	return {
		url: `rtsp://127.0.0.1:${port}/test`,
		port,
		clients: () => clients,
		start,
		stop: async () => {
			const proc = child;
			if (!proc || proc.exitCode !== null) return;
			const exited = new Promise((r) => proc.once('exit', r));
			proc.kill('SIGKILL');
			await exited;
		}
	};
}

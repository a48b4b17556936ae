// Starts tests/support/fake-rtsp-camera.py (GStreamer's RTSP server) under
// Debian's python3 and counts the clients that connect to it.
//
// gst-rtsp-server aborts now and then when several clients set up its shared
// media at once on a loaded machine (assertion in gst_rtsp_media_get_rates).
// That is the fake camera's bug, not ours, so a crash restarts it on the same
// port, like a real camera rebooting, and is reported on stderr.
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

const MAX_RESTARTS = 5;

export async function startFakeCamera(opts: { audio?: boolean; port?: number } = {}): Promise<FakeCamera> {
	const port = opts.port ?? (await freePort());
	let child: ChildProcess | undefined;
	let clients = 0;
	let restarts = 0;
	const start = () =>
		new Promise<void>((resolve, reject) => {
			const script = path.join(import.meta.dirname, 'fake-rtsp-camera.py');
			const proc = spawn('/usr/bin/python3', [script, String(port), opts.audio ? 'audio' : 'video'], { stdio: ['ignore', 'pipe', 'pipe'] });
			child = proc;
			let out = '';
			let ready = false;
			const timer = setTimeout(() => reject(new Error(`fake camera did not start: ${out}`)), 10_000);
			proc.stdout!.on('data', (d: Buffer) => {
				out += d;
				for (const line of d.toString().split('\n')) {
					if (line === 'ready') (ready = true), clearTimeout(timer), resolve();
					if (line === 'client-connected') clients++;
				}
			});
			proc.stderr!.on('data', (d: Buffer) => (out += d));
			proc.on('exit', (code, signal) => {
				clearTimeout(timer);
				if (!ready) return reject(new Error(`fake camera exited ${code ?? signal}: ${out}`));
				if (child !== proc || signal === 'SIGKILL' || restarts >= MAX_RESTARTS) return;
				restarts++;
				process.stderr.write(`fake camera on ${port} crashed (${code ?? signal}), restarting: ${out.slice(-300)}\n`);
				setTimeout(() => child === proc && start().catch((e) => process.stderr.write(`${e}\n`)), 200);
			});
		});
	await start();
	return {
		url: `rtsp://127.0.0.1:${port}/test`,
		port,
		clients: () => clients,
		start,
		stop: async () => {
			const proc = child;
			child = undefined;
			if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
			const exited = new Promise((r) => proc.once('exit', r));
			proc.kill('SIGKILL');
			await exited;
		}
	};
}

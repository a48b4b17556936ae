// Side A: the built Vantage server (node server.js, which spawns its Janus
// and, for a keepalive camera, its ffmpeg ingest), a fake RTSP camera, and
// the API calls the bench needs (login, camera, status).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startChild } from './procs.mjs';

export const ADMIN_PASSWORD = 'bench-admin-password';

/**
 * An RTSP camera at rtsp://127.0.0.1:<port>/test. `relay` (default): the
 * bench's GStreamer RTSP server re-serving `encoderArgs`' ffmpeg output (the
 * same 720p30 2 Mbit/s GOP 30 stream side B gets); `tests`: the test suite's
 * fake camera (x264 "ball" pattern, far below 2 Mbit/s).
 */
export async function startRtspCamera(root, port, mode, encoderArgs, rtpPort) {
	let ready;
	const seen = new Promise((r) => (ready = r));
	const script = mode === 'tests' ? path.join(root, 'tests/support/fake-rtsp-camera.py') : path.join(root, 'bench/sfu/rtsp-camera.py');
	const args = mode === 'tests' ? [script, String(port)] : [script, String(port), String(rtpPort)];
	const cam = startChild('RTSP camera', '/usr/bin/python3', args, {
		cwd: root,
		nice: -10,
		onOutput: (s) => {
			if (s.includes('ready')) ready(true);
			if (s.includes('cannot listen')) ready(false);
		}
	});
	cam.child.once('exit', () => ready(false));
	const ok = await Promise.race([seen, new Promise((r) => setTimeout(() => r(false), 15_000))]);
	if (!ok) throw new Error(`RTSP camera did not start:\n${cam.output()}`);
	const procs = [cam];
	if (mode !== 'tests') procs.push(startChild('camera encoder (ffmpeg)', 'ffmpeg', [...encoderArgs, `rtp://127.0.0.1:${rtpPort}?pkt_size=1200`], { nice: -10 }));
	return { procs, url: `rtsp://127.0.0.1:${port}/test` };
}

/** `node server.js` from the repo root with a private DATA_DIR; resolves when /api/health answers. */
export async function startVantage(root, port) {
	const dataDir = mkdtempSync(path.join(tmpdir(), 'sfu-load-vantage-'));
	const server = startChild('vantage server', process.execPath, ['server.js'], {
		cwd: root,
		env: {
			...process.env,
			PORT: String(port),
			HOST: '127.0.0.1',
			DATA_DIR: dataDir,
			ADMIN_PASSWORD,
			DEMO_CAMERA: 'false'
		}
	});
	const base = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 60_000;
	for (;;) {
		if (server.child.exitCode !== null) throw new Error(`vantage exited (${server.child.exitCode}):\n${server.output()}`);
		try {
			if ((await fetch(`${base}/api/health`)).ok) break;
		} catch {
			/* not yet */
		}
		if (Date.now() > deadline) throw new Error(`vantage not healthy within 60 s:\n${server.output()}`);
		await new Promise((r) => setTimeout(r, 200));
	}
	return { proc: server, base, dataDir };
}

export async function api(base, pathname, { method = 'GET', token, body } = {}) {
	const res = await fetch(base + pathname, {
		method,
		headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined
	});
	const text = await res.text();
	if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
	return text ? JSON.parse(text) : null;
}

/** Log in, create the keepalive camera, wait until it is online. */
export async function setUpCamera(base, source) {
	const { token } = await api(base, '/api/auth/login', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } });
	const cam = await api(base, '/api/cameras', { method: 'POST', token, body: { name: 'bench_720p30', label: 'bench', source, keepalive: true } });
	const deadline = Date.now() + 30_000;
	for (;;) {
		const c = await api(base, `/api/cameras/${cam.id}`, { token });
		if (c.status?.state === 'online' && c.status.fps) return { token, id: cam.id, status: c.status };
		if (Date.now() > deadline) throw new Error(`camera not online within 30 s: ${JSON.stringify(c.status)}`);
		await new Promise((r) => setTimeout(r, 300));
	}
}

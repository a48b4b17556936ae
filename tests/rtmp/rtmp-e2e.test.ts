// RTMP publish and FLV playback through the real server (node server.js):
// ffmpeg publishes a push camera over RTMP; ffprobe reads HTTP-FLV (by id and
// by original name) and the MP4 feed; a ws client reads WebSocket-FLV; wrong
// keys, a second publisher, garbage on the RTMP port and viewers without
// rights are all turned away without disturbing the publish.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import WebSocket from 'ws';
import { freePort, startServer, type TestServer } from '../support/server';
import { ffprobe, readFor, save, sleep, until, videoStream } from '../support/media';
import { publishTestStream as publish } from '../support/publisher';
import { FlvReader, readFlv, TAG, parseVideoData } from '../../src/lib/server/media/flv';

const dir = mkdtempSync(path.join(tmpdir(), 'vantage-rtmp-'));

/** WebSocket-FLV for `ms`: every binary message, or the HTTP status of a refused upgrade. */
async function wsFlv(url: string, ms: number): Promise<{ status?: number; messages: Buffer[] }> {
	const ws = new WebSocket(url);
	const messages: Buffer[] = [];
	ws.on('message', (data, isBinary) => isBinary && messages.push(data as Buffer));
	const status = await new Promise<number | undefined>((resolve, reject) => {
		ws.once('open', () => resolve(undefined));
		ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
		ws.once('error', reject);
	});
	if (status) return { status, messages };
	await sleep(ms);
	ws.close();
	return { messages };
}

/** Writes bytes to a TCP port; resolves when the server closes the connection (or after `ms`). */
function garbage(port: number, data: Buffer, ms = 5000): Promise<boolean> {
	return new Promise((resolve) => {
		const s = tcpConnect({ port, host: '127.0.0.1' }, () => s.write(data));
		s.on('error', () => {});
		s.on('data', () => {});
		const t = setTimeout(() => (s.destroy(), resolve(false)), ms);
		s.on('close', () => (clearTimeout(t), resolve(true)));
	});
}

describe('RTMP publish → HTTP-FLV, WebSocket-FLV, MP4', () => {
	let s: TestServer;
	let rtmpPort: number;
	let admin: string;
	let id: string;
	let key: string;
	let publisher: ReturnType<typeof publish>;
	let wsBase: string;

	beforeAll(async () => {
		rtmpPort = await freePort();
		s = await startServer('sqlite', { RTMP_PORT: String(rtmpPort), INGEST_IDLE_MS: '3000' });
		wsBase = s.base.replace('http', 'ws');
		admin = await s.adminToken();
		const res = await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'room/door', source: 'push' } });
		expect(res.status).toBe(201);
		const cam = await res.json();
		id = cam.id;
		key = cam.pushKey;
		if (!key) {
			// An admin view without the key: read it where the server keeps it.
			const db = await new PrismaBetterSqlite3({ url: `file:${path.join(s.dataDir, 'vantage.db')}` }).connect();
			const rows = await db.queryRaw({ sql: 'SELECT "pushKey" FROM "Camera" WHERE "id" = ?', args: [id], argTypes: [{ scalarType: 'string', arity: 'scalar' }] });
			key = String(rows.rows[0]?.[0] ?? '');
			await db.dispose();
		}
		expect(key).toMatch(/^[0-9a-f]{32}$/);
		publisher = publish(`rtmp://127.0.0.1:${rtmpPort}/live/${id}?key=${key}`);
		await until(async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).status.state === 'online', 20_000, 'the pushed camera to go online');
	});

	afterAll(async () => {
		publisher?.proc.kill('SIGKILL');
		await s?.stop();
	});

	it('shows the pushed stream as live', async () => {
		const cam = await (await s.api(`/api/cameras/${id}`, { token: admin })).json();
		expect(cam.status).toMatchObject({ state: 'online', width: 640, height: 360 });
		expect(cam.status.codec).toMatch(/^avc1\./);
		expect(cam.status.audioCodec).toMatch(/^mp4a\.40/);
		const consumers = await (await s.api(`/api/cameras/${id}/consumers`, { token: admin })).json();
		expect(consumers.map((c: { protocol: string }) => c.protocol)).toContain('rtmp-publish');
	});

	it('HTTP-FLV by id and by original name: FLV from a keyframe that ffprobe reads', async () => {
		for (const name of [id, 'room/door']) {
			const { status, type, body } = await readFor(`${s.base}/streams/${name}.flv?token=${admin}`, 3000);
			expect(status).toBe(200);
			expect(type).toBe('video/x-flv');
			const probe = await ffprobe(save(path.join(dir, `${name.replace('/', '_')}.flv`), body));
			expect(videoStream(probe)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
			expect(Number(videoStream(probe)!.nb_read_frames)).toBeGreaterThan(40);
			expect(probe.streams.find((x) => x.codec_type === 'audio')?.codec_name).toBe('aac');
			const { header, tags } = readFlv(body);
			expect(header).toMatchObject({ audio: true, video: true });
			expect(tags.slice(0, 3).map((t) => t.type)).toEqual([TAG.SCRIPT, TAG.VIDEO, TAG.AUDIO]);
			const firstFrame = tags.slice(3).find((t) => t.type === TAG.VIDEO)!;
			expect(firstFrame.timestamp).toBe(0);
			expect(parseVideoData(firstFrame.body)).toMatchObject({ kind: 'frame', keyframe: true });
		}
	});

	it('counts an HTTP-FLV reader as a consumer while it reads', async () => {
		const reading = readFor(`${s.base}/streams/${id}.flv?token=${admin}`, 2000);
		await sleep(1000);
		const consumers = await (await s.api(`/api/cameras/${id}/consumers`, { token: admin })).json();
		const flv = consumers.find((c: { protocol: string }) => c.protocol === 'http-flv');
		expect(flv?.bytes).toBeGreaterThan(0);
		await reading;
	});

	it('GET /api/proxy/mp4 plays the pushed stream too', async () => {
		const { status, body } = await readFor(`${s.base}/api/proxy/mp4?id=${id}&token=${admin}`, 3000);
		expect(status).toBe(200);
		const probe = await ffprobe(save(path.join(dir, 'push.mp4'), body));
		expect(videoStream(probe)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
		expect(Number(videoStream(probe)!.nb_read_frames)).toBeGreaterThan(40);
	});

	it('WebSocket-FLV: the FLV header first, then whole tags per message, from a keyframe', async () => {
		for (const name of [id, 'room/door']) {
			const { status, messages } = await wsFlv(`${wsBase}/streams/${name}.flv?token=${admin}`, 2500);
			expect(status).toBeUndefined();
			expect(messages.length).toBeGreaterThan(30);
			expect(messages[0].subarray(0, 3).toString()).toBe('FLV');
			const reader = new FlvReader();
			const tags = [];
			for (const m of messages) {
				for (const e of reader.push(m)) if (e.type === 'tag') tags.push(e.tag);
				expect(reader.pending).toBe(0); // each message ends on a tag boundary
			}
			const frames = tags.filter((t) => t.type === TAG.VIDEO).map((t) => parseVideoData(t.body));
			expect(frames[0].kind).toBe('config');
			expect(frames[1]).toMatchObject({ kind: 'frame', keyframe: true });
			expect(frames.length).toBeGreaterThan(40);
			const probe = await ffprobe(save(path.join(dir, 'ws.flv'), Buffer.concat(messages)));
			expect(videoStream(probe)).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
		}
	});

	it('refuses a wrong key and a second publisher; the first goes on', async () => {
		const wrong = await publish(`rtmp://127.0.0.1:${rtmpPort}/live/${id}?key=${'0'.repeat(32)}`, 2).done;
		expect(wrong.code).not.toBe(0);
		expect(wrong.stderr).toMatch(/wrong key/);
		const noKey = await publish(`rtmp://127.0.0.1:${rtmpPort}/live/${id}`, 2).done;
		expect(noKey.code).not.toBe(0);
		const second = await publish(`rtmp://127.0.0.1:${rtmpPort}/live/${id}?key=${key}`, 2).done;
		expect(second.code).not.toBe(0);
		expect(second.stderr).toMatch(/already publishing/);
		expect(publisher.proc.exitCode).toBeNull();
		const cam = await (await s.api(`/api/cameras/${id}`, { token: admin })).json();
		expect(cam.status.state).toBe('online');
	});

	it('garbage on the RTMP port is closed and does not disturb the publish', async () => {
		const before = Number(videoStream(await ffprobe(save(path.join(dir, 'before.flv'), (await readFor(`${s.base}/streams/${id}.flv?token=${admin}`, 1500)).body)))!.nb_read_frames);
		expect(before).toBeGreaterThan(15);
		const junk = [
			Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
			Buffer.concat([Buffer.from([3]), Buffer.alloc(1536), Buffer.alloc(1536), Buffer.from('c6c6c6c6ffffffff', 'hex')]),
			Buffer.concat([Buffer.from([3]), Buffer.alloc(1536), Buffer.alloc(1536), Buffer.from('0200000000000401000000007fffffff', 'hex')]),
			Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff))
		];
		const closed = await Promise.all(junk.map((j) => garbage(rtmpPort, j)));
		expect(closed).toEqual([true, true, true, true]);
		expect(publisher.proc.exitCode).toBeNull();
		const { body } = await readFor(`${s.base}/streams/${id}.flv?token=${admin}`, 2000);
		expect(Number(videoStream(await ffprobe(save(path.join(dir, 'after.flv'), body)))!.nb_read_frames)).toBeGreaterThan(25);
	});

	it('a viewer without rights gets the same 404 as for an unknown camera; a granted one plays by id or name', async () => {
		const other = await (await s.api('/api/cameras', { method: 'POST', token: admin, body: { name: 'yard', source: 'push' } })).json();
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'outsider', password: 'outsider-password', role: 'viewer', cameras: [other.id] } });
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'insider', password: 'insider-password', role: 'viewer', cameras: [id] } });
		const outsider = await s.login('outsider', 'outsider-password');
		const insider = await s.login('insider', 'insider-password');

		const answers = [];
		for (const name of [id, 'room/door', 'no/such/camera', 'abcdefabcdef']) {
			const res = await s.api(`/streams/${name}.flv?token=${outsider}`);
			answers.push({ status: res.status, body: await res.text() });
		}
		expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404]);
		expect(new Set(answers.map((a) => a.body)).size).toBe(1);
		expect(answers[0].body).not.toMatch(/room|door/);
		for (const name of [id, 'room/door']) expect((await wsFlv(`${wsBase}/streams/${name}.flv?token=${outsider}`, 0)).status).toBe(404);
		expect((await s.api(`/streams/${id}.flv`)).status).toBe(401);
		expect((await wsFlv(`${wsBase}/streams/${id}.flv`, 0)).status).toBe(401);

		for (const name of [id, 'room/door']) {
			const { status, body } = await readFor(`${s.base}/streams/${name}.flv?token=${insider}`, 1500);
			expect(status).toBe(200);
			expect(readFlv(body).tags.length).toBeGreaterThan(10);
		}
		// An offline pushed camera: 503, not an endless empty stream.
		expect((await s.api(`/streams/yard.flv?token=${admin}`)).status).toBe(503);
	});

	it('a publisher that drops takes the camera offline', async () => {
		publisher.proc.kill('SIGKILL');
		await until(async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).status.state === 'offline', 10_000, 'offline');
		// And it can publish again.
		publisher = publish(`rtmp://127.0.0.1:${rtmpPort}/live/${id}?key=${key}`);
		await until(async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).status.state === 'online', 20_000, 'online again');
	});

	it('disabling the camera ends its publish', async () => {
		const res = await s.api(`/api/cameras/${id}`, { method: 'PATCH', token: admin, body: { enabled: false } });
		expect(res.status).toBe(200);
		const { code } = await Promise.race([publisher.done, sleep(10_000).then(() => ({ code: 'still running' }))]);
		expect(code).not.toBe('still running');
		expect(s.output()).toMatch(/stopped: camera disabled/);
		// Disabled: a new publish is refused.
		const again = await publish(`rtmp://127.0.0.1:${rtmpPort}/live/${id}?key=${key}`, 1).done;
		expect(again.code).not.toBe(0);
		expect(again.stderr).toMatch(/disabled/);
	});
});

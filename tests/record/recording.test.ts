// Continuous recording from a real RTSP camera: contiguous segments whose
// ffprobe durations add up, the index (recordings, spans, calendar), the HLS
// VOD playlist, an export, snapshots, rights, and manual start/stop with a
// time limit; on SQLite and PostgreSQL (the index's queries).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server';
import { PROVIDERS } from '../support/databases';
import { startFakeCamera, type FakeCamera } from '../support/fake-camera';
import { ffprobe, sleep, until, videoStream } from '../support/media';
import { closedSegments, createCamera, finishedExport, probeDuration, segments } from './support';

describe.each(PROVIDERS)('recording on %s', (provider) => {
	let s: TestServer;
	let cam: FakeCamera;
	let admin: string;

	beforeAll(async () => {
		cam = await startFakeCamera();
		s = await startServer(provider, { RECORD_SEGMENT_SEC: '5', RECORD_MIN_FREE_MB: '1' });
		admin = await s.adminToken();
	});
	afterAll(async () => {
		await s?.stop();
		await cam?.stop();
	});

	it.concurrent('30 s of continuous recording: contiguous segments whose ffprobe durations add up', async () => {
		const id = await createCamera(s, admin, 'continuous', cam.url, { recordMode: 'continuous' });
		const cameraView = await (await s.api(`/api/cameras/${id}`, { token: admin })).json();
		expect(cameraView).toMatchObject({ recordMode: 'continuous', segmentSec: null, retentionDays: 30, snapshotSec: 0 });
		await until(async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).recording.state === 'recording', 10_000, 'recording');
		await sleep(31_000);
		await s.api(`/api/cameras/${id}`, { method: 'PATCH', token: admin, body: { recordMode: 'off' } });
		const { segments: list, spans } = await closedSegments(s, admin, id);
		expect(list.length).toBeGreaterThanOrEqual(6);
		for (let i = 1; i < list.length; i++) expect(Date.parse(list[i].start)).toBe(Date.parse(list[i - 1].end));
		expect(spans).toHaveLength(1);
		const total = list.reduce((n, x) => n + x.durationMs, 0);
		expect(total).toBeGreaterThan(29_000);
		expect(Date.parse(spans[0].end) - Date.parse(spans[0].start)).toBe(total);
		const probed = await Promise.all(list.map((x) => probeDuration(`${s.base}${x.url}`)));
		for (let i = 0; i < list.length; i++) expect(Math.abs(probed[i] * 1000 - list[i].durationMs), `segment ${i}`).toBeLessThan(50);
		expect(Math.abs(probed.reduce((a, b) => a + b, 0) * 1000 - total)).toBeLessThan(100);
		// full segments are the configured length (cut at the first keyframe from 5 s on; GOP 1 s)
		for (const x of list.slice(0, -1)) expect(x.durationMs).toBeGreaterThanOrEqual(5000), expect(x.durationMs).toBeLessThan(6100);

		// The calendar shows today (server time zone = this process's).
		const now = new Date();
		const cal = await (await s.api(`/api/cameras/${id}/calendar?year=${now.getFullYear()}&month=${now.getMonth() + 1}`, { token: admin })).json();
		expect(cal.days).toContain(now.getDate());

		// The playlist: VOD, every segment by byte range with its init, playable by ffmpeg end to end.
		const playlistUrl = `${s.base}/api/cameras/${id}/playback.m3u8?start=${encodeURIComponent(spans[0].start)}&end=${encodeURIComponent(spans[0].end)}&token=${admin}`;
		const m3u8 = await (await fetch(playlistUrl)).text();
		expect(m3u8).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
		expect(m3u8).toContain('#EXT-X-ENDLIST');
		expect(m3u8.match(/#EXTINF/g)).toHaveLength(list.length);
		expect(m3u8).not.toContain('#EXT-X-DISCONTINUITY');
		expect(Math.abs((await probeDuration(playlistUrl)) * 1000 - total)).toBeLessThan(200);

		// An export of 10 s from the middle: 10 s ± 0.5 s, with progress to 100.
		const from = Date.parse(list[0].start) + 7_300;
		const created = await s.api(`/api/cameras/${id}/exports`, { method: 'POST', token: admin, body: { start: new Date(from).toISOString(), end: new Date(from + 10_000).toISOString() } });
		expect(created.status).toBe(202);
		const { id: exportId } = await created.json();
		const done = await finishedExport(s, admin, exportId);
		expect(done).toMatchObject({ status: 'done', progress: 100, url: expect.stringContaining(`/api/exports/${exportId}/file`), size: expect.any(Number) });
		expect(Math.abs((await probeDuration(`${s.base}${done.url}`)) - 10)).toBeLessThanOrEqual(0.5);

		// Two exports run at once; a third waits as "queued", then runs; all three finish.
		const body = (i: number) => ({ start: new Date(from + i * 5000).toISOString(), end: new Date(from + i * 5000 + 5000).toISOString(), transcode: 'h264' });
		const jobs: string[] = [];
		for (const i of [0, 1, 2]) jobs.push((await (await s.api(`/api/cameras/${id}/exports`, { method: 'POST', token: admin, body: body(i) })).json()).id);
		const state = async (job: string) => (await (await s.api(`/api/exports/${job}`, { token: admin })).json()).status;
		expect(await state(jobs[2])).toBe('queued');
		for (const job of jobs) await until(async () => (await state(job)) === 'done', 60_000, `export ${job} done`);

		// A range query finds only the segments overlapping it.
		const mid = new Date((Date.parse(list[2].start) + Date.parse(list[2].end)) / 2).toISOString();
		const one = await segments(s, admin, id, `?start=${encodeURIComponent(mid)}&end=${encodeURIComponent(mid.replace(/\.\d+Z$/, '.999Z'))}`);
		expect(one.segments.map((x) => x.id)).toEqual([list[2].id]);
	}, 120_000);

	it.concurrent('manual start with a time limit, and stop', async () => {
		const id = await createCamera(s, admin, 'manual', cam.url);
		const started = await s.api(`/api/cameras/${id}/recording`, { method: 'POST', token: admin, body: { action: 'start', limitSec: 4 } });
		expect(started.status).toBe(200);
		expect(await started.json()).toMatchObject({ state: 'recording', reason: 'manual', manualUntil: expect.any(String) });
		await until(async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).recording.state === 'idle', 15_000, 'limit reached');
		const first = (await closedSegments(s, admin, id)).segments;
		const recorded = first.reduce((n, x) => n + x.durationMs, 0);
		expect(recorded).toBeGreaterThan(2500);
		expect(recorded).toBeLessThan(6500);

		await sleep(1500);
		await s.api(`/api/cameras/${id}/recording`, { method: 'POST', token: admin, body: { action: 'start' } });
		await sleep(2500);
		// The segment being written plays already, up to its last saved progress.
		const live = await segments(s, admin, id);
		const open = live.segments.find((x) => x.open)!;
		expect(open.durationMs).toBeGreaterThan(0);
		const growing = `${s.base}/api/cameras/${id}/playback.m3u8?start=${encodeURIComponent(open.start)}&end=${encodeURIComponent(new Date().toISOString())}&token=${admin}`;
		expect((await (await fetch(growing)).text()).match(/#EXTINF/g)).toHaveLength(1);
		// Frames decoded from it (about 30 a second; the fake camera sends 30 fps).
		expect(Number(videoStream(await ffprobe(growing))?.nb_read_frames)).toBeGreaterThan(30);
		// And exports already: the last seconds, while they are being recorded.
		const clip = await s.api(`/api/cameras/${id}/exports`, { method: 'POST', token: admin, body: { start: open.start, end: new Date().toISOString() } });
		expect(clip.status).toBe(202);
		const clipId = (await clip.json()).id;
		const exported = await finishedExport(s, admin, clipId);
		expect(exported.status).toBe('done');
		expect(await probeDuration(`${s.base}${exported.url}`)).toBeGreaterThan(1);
		const stopped = await (await s.api(`/api/cameras/${id}/recording`, { method: 'POST', token: admin, body: { action: 'stop' } })).json();
		expect(stopped).toMatchObject({ state: 'idle', manualUntil: null });
		const after = await closedSegments(s, admin, id, first.length + 1);
		expect(after.spans, JSON.stringify(after)).toHaveLength(2);
		const m3u8 = await (await s.api(`/api/cameras/${id}/playback.m3u8`, { token: admin })).text();
		expect(m3u8).toContain('#EXT-X-DISCONTINUITY');
	});

	it.concurrent('snapshots: now, periodic, listed, the newest as thumbnail', async () => {
		const id = await createCamera(s, admin, 'snapshots', cam.url, { snapshotSec: 1 });
		const now = await s.api(`/api/cameras/${id}/snapshot.jpg`, { token: admin });
		expect(now.status).toBe(200);
		expect(now.headers.get('content-type')).toBe('image/jpeg');
		expect((await now.arrayBuffer()).byteLength).toBeGreaterThan(1000);
		const list = await until(async () => {
			const l = await (await s.api(`/api/cameras/${id}/snapshots`, { token: admin })).json();
			return l.length >= 3 ? l : undefined;
		}, 15_000, 'three periodic snapshots');
		expect(list[0]).toEqual({ id: expect.any(Number), takenAt: expect.any(String), size: expect.any(Number), url: expect.stringContaining(`/api/cameras/${id}/snapshots/`) });
		const shot = await fetch(`${s.base}${list[1].url}`);
		expect(shot.headers.get('content-type')).toBe('image/jpeg');
		const thumb = await s.api(`/api/cameras/${id}/thumbnail.jpg`, { token: admin });
		expect(thumb.status).toBe(200);
		await s.api(`/api/cameras/${id}`, { method: 'PATCH', token: admin, body: { snapshotSec: 0 } });
	});

	it('rights and bad input', async () => {
		const id = await createCamera(s, admin, 'rights', cam.url);
		const other = await createCamera(s, admin, 'hidden', cam.url);
		await s.api('/api/users', { method: 'POST', token: admin, body: { username: 'viewer', password: 'viewer-password', role: 'viewer', cameras: [id] } });
		const viewer = await s.login('viewer', 'viewer-password');
		expect((await s.api(`/api/cameras/${id}/recordings`, { token: viewer })).status).toBe(200);
		expect((await s.api(`/api/cameras/${id}/playback.m3u8`, { token: viewer })).status).toBe(200);
		expect((await s.api(`/api/cameras/${other}/recordings`, { token: viewer })).status).toBe(404);
		expect((await s.api(`/api/cameras/${other}/calendar`, { token: viewer })).status).toBe(404);
		const denied = await s.api(`/api/cameras/${id}/recording`, { method: 'POST', token: viewer, body: { action: 'start' } });
		expect(denied.status).toBe(403);
		expect((await s.api(`/api/cameras/${id}/recordings`)).status).toBe(401);

		const bad = async (path: string, init: { method?: string; body?: unknown } = {}) => {
			const res = await s.api(path, { ...init, token: admin });
			expect(res.status, path).toBe(400);
			expect(await res.json()).toEqual({ error: expect.any(String) });
		};
		await bad(`/api/cameras/${id}/recordings?start=yesterday`);
		await bad(`/api/cameras/${id}/recordings?start=2026-12-04T10:00:00Z&end=2026-12-04T09:00:00Z`);
		await bad(`/api/cameras/${id}/calendar?month=13`);
		await bad(`/api/cameras/${id}/recording`, { method: 'POST', body: { action: 'pause' } });
		await bad(`/api/cameras/${id}/recording`, { method: 'POST', body: { action: 'start', limitSec: -1 } });
		await bad(`/api/cameras/${id}`, { method: 'PATCH', body: { recordMode: 'always' } });
		await bad(`/api/cameras/${id}`, { method: 'PATCH', body: { segmentSec: 0 } });
		await bad(`/api/cameras/${id}/exports`, { method: 'POST', body: { start: 'now', end: '2026-12-04T10:00:00Z' } });
		await bad(`/api/cameras/${id}/exports`, { method: 'POST', body: { start: '2026-12-04T10:00:00Z', end: '2026-12-04T10:00:10Z', transcode: 'vp9' } });
		const none = await s.api(`/api/cameras/${id}/exports`, { method: 'POST', token: viewer, body: { start: '2020-01-01T00:00:00Z', end: '2020-01-01T00:00:10Z' } });
		expect(none.status).toBe(404);
		expect((await s.api('/api/exports/00000000-0000-0000-0000-000000000000', { token: viewer })).status).toBe(404);
		expect((await s.api(`/api/cameras/${id}/recordings/999999`, { token: admin })).status).toBe(404);
	});
});

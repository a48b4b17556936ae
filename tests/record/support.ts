// Helpers of the recording tests: a camera recording from a shared fake RTSP
// camera, its segment list, and ffprobe's duration of a file.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestServer } from '../support/server';

const run = promisify(execFile);

export interface SegmentJson {
	id: number;
	start: string;
	end: string;
	durationMs: number;
	size: number;
	open: boolean;
	url: string;
}

export async function createCamera(s: TestServer, token: string, name: string, source: string, extra: Record<string, unknown> = {}): Promise<string> {
	const res = await s.api('/api/cameras', { method: 'POST', token, body: { name, source, ...extra } });
	if (res.status !== 201) throw new Error(`create camera: ${res.status} ${await res.text()}`);
	return (await res.json()).id;
}

export async function segments(s: TestServer, token: string, id: string, query = ''): Promise<{ segments: SegmentJson[]; spans: { start: string; end: string }[] }> {
	const res = await s.api(`/api/cameras/${id}/recordings${query}`, { token });
	if (res.status !== 200) throw new Error(`recordings: ${res.status} ${await res.text()}`);
	return res.json();
}

/** Waits until the camera has at least `min` segments, all closed; the listing. */
export async function closedSegments(s: TestServer, token: string, id: string, min = 1, ms = 10_000) {
	const deadline = Date.now() + ms;
	for (;;) {
		const r = await segments(s, token, id);
		if (r.segments.length >= min && r.segments.every((x) => !x.open)) return r;
		if (Date.now() > deadline) throw new Error(`segments not closed: ${JSON.stringify(r.segments)}\n${s.output().slice(-2000)}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/** Waits until an export is done or failed; its view. */
export async function finishedExport(s: TestServer, token: string, id: string, ms = 20_000) {
	const deadline = Date.now() + ms;
	for (;;) {
		const e = await (await s.api(`/api/exports/${id}`, { token })).json();
		if (e.status === 'done' || e.status === 'failed') return e;
		if (Date.now() > deadline) throw new Error(`export ${id} still ${e.status} after ${ms} ms`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/**
 * ffprobe's duration (seconds) of a file or URL. A segment keeps the camera's
 * timeline (its first decode time is where the previous segment ended), and
 * ffprobe's duration of a fragmented MP4 runs from 0: the media is duration − start_time.
 */
export async function probeDuration(input: string): Promise<number> {
	const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time,duration', '-of', 'json', input], { timeout: 30_000 });
	const { format } = JSON.parse(stdout);
	return Number(format.duration) - Number(format.start_time ?? 0);
}

// Real media clients for tests: ffprobe on files and URLs, and an HTTP body reader with a time limit.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Probe {
	streams: { codec_type: string; codec_name: string; width?: number; height?: number; nb_read_frames?: string; nb_read_packets?: string }[];
	format?: { duration?: string; format_name?: string };
}

/** ffprobe as JSON, counting frames (decoding them) unless countPackets. */
export async function ffprobe(input: string, opts: { countPackets?: boolean; extra?: string[]; timeoutMs?: number } = {}): Promise<Probe> {
	const count = opts.countPackets ? '-count_packets' : '-count_frames';
	const { stdout } = await run('ffprobe', ['-v', 'error', ...(opts.extra ?? []), count, '-show_streams', '-show_format', '-of', 'json', input], {
		timeout: opts.timeoutMs ?? 30_000,
		maxBuffer: 16 * 1024 * 1024
	});
	return JSON.parse(stdout);
}

export const videoStream = (p: Probe) => p.streams.find((s) => s.codec_type === 'video');

/** Reads a streaming HTTP response for `ms` milliseconds, then aborts; the bytes read. */
export async function readFor(url: string, ms: number, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; body: Buffer }> {
	const ctrl = new AbortController();
	const res = await fetch(url, { headers, signal: ctrl.signal });
	const chunks: Buffer[] = [];
	const timer = setTimeout(() => ctrl.abort(), ms);
	try {
		for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
	} catch {
		/* aborted: done reading */
	} finally {
		clearTimeout(timer);
	}
	return { status: res.status, type: res.headers.get('content-type'), body: Buffer.concat(chunks) };
}

export function save(path: string, data: Buffer) {
	writeFileSync(path, data);
	return path;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function until<T>(check: () => Promise<T> | T, ms: number, what: string): Promise<NonNullable<T>> {
	const deadline = Date.now() + ms;
	for (;;) {
		const v = await check();
		if (v) return v as NonNullable<T>;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(200);
	}
}

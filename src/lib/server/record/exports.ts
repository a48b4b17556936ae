// Clips cut from recordings (document 002's archive): ffmpeg's concat demuxer
// over the segments of the range, cut with -ss/-t, copied (or transcoded to
// H.264 when asked) into one MP4 under DATA_DIR/mediastore/exports. Progress
// comes from ffmpeg's progress output; the job's state lives in the database.
// A few exports run at once (each is an ffmpeg, a transcode takes cores); the
// rest wait their turn as "queued", and past a bound new ones are refused.
import ffmpeg from 'fluent-ffmpeg';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { db } from '../db/client';
import { config } from '../config';
import { ApiError } from '../http/api';
import { segmentEnd, segmentFile, segmentsBetween } from './recording-index';
import { exportPath } from './paths';

export const MAX_EXPORT_SEC = 6 * 3600;
const RUNNING_MAX = 2;
const WAITING_MAX = 20;

interface Job {
	id: string;
	list: string;
	offsetSec: number;
	durationSec: number;
	transcode: boolean;
}
const waiting: Job[] = [];
let running = 0;

export async function createExport(userId: string, cameraId: string, start: Date, end: Date, transcode: boolean): Promise<string> {
	const segments = await segmentsBetween(cameraId, start, end);
	if (!segments.length) throw new ApiError(404, 'no recordings in this range');
	if (waiting.length >= WAITING_MAX) throw new ApiError(429, 'too many exports waiting: try again when some are done');
	const id = randomUUID();
	await db.export.create({ data: { id, cameraId, userId, startAt: start, endAt: end, transcode, status: 'queued' } });
	const from = Math.max(start.getTime(), segments[0].startAt.getTime());
	const to = Math.min(end.getTime(), segmentEnd(segments[segments.length - 1]).getTime());
	mkdirSync(config.record.exportDir, { recursive: true });
	const list = exportPath(id).replace(/\.mp4$/, '.txt');
	// Each file's own timeline starts where the previous one ended; concat lines them up by duration.
	writeFileSync(list, segments.map((s) => `file '${segmentFile(s).replace(/'/g, "'\\''")}'\nduration ${s.durationMs / 1000}\n`).join(''));
	waiting.push({ id, list, offsetSec: (from - segments[0].startAt.getTime()) / 1000, durationSec: (to - from) / 1000, transcode });
	next();
	return id;
}

/** Exports a previous run left queued or running can't finish now: failed, with the reason. */
export async function failInterruptedExports() {
	await db.export.updateMany({ where: { status: { in: ['queued', 'running'] } }, data: { status: 'failed', error: 'interrupted by a server restart' } });
}

function next() {
	while (running < RUNNING_MAX && waiting.length) {
		running++;
		run(waiting.shift()!, () => {
			running--;
			next();
		});
	}
}

function run({ id, list, offsetSec, durationSec, transcode }: Job, finished: () => void) {
	const out = exportPath(id);
	let lastProgress = 0;
	const save = (data: { status?: string; progress?: number; size?: number; error?: string }) =>
		db.export.update({ where: { id }, data }).catch((e) => console.error(`export ${id}: ${e.message}`));
	void save({ status: 'running' });
	ffmpeg()
		.input(list)
		.inputOptions(['-f', 'concat', '-safe', '0', '-ss', offsetSec.toFixed(3)])
		.outputOptions([
			'-t', durationSec.toFixed(3),
			'-map', '0:v:0', '-map', '0:a:0?',
			...(transcode ? ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-c:a', 'aac'] : ['-c', 'copy']),
			'-movflags', '+faststart'
		])
		.output(out)
		.on('progress', (p: { timemark?: string }) => {
			const done = timemarkSec(p.timemark);
			const progress = Math.min(99, Math.floor((done / durationSec) * 100));
			if (progress > lastProgress) {
				lastProgress = progress;
				void save({ progress });
			}
		})
		.on('end', () => {
			rmSync(list, { force: true });
			void save({ status: 'done', progress: 100, size: statSync(out).size });
			finished();
		})
		.on('error', (e: Error) => {
			rmSync(list, { force: true });
			rmSync(out, { force: true });
			console.error(`export ${id}: ${e.message}`);
			void save({ status: 'failed', error: 'export failed' });
			finished();
		})
		.run();
}

function timemarkSec(mark?: string): number {
	const m = mark ? /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(mark) : null;
	return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}

export function exportView(e: { id: string; cameraId: string; startAt: Date; endAt: Date; status: string; progress: number; size: number; error: string | null; transcode: boolean }, url: string | null) {
	return {
		id: e.id,
		cameraId: e.cameraId,
		start: e.startAt.toISOString(),
		end: e.endAt.toISOString(),
		transcode: e.transcode ? 'h264' : null,
		status: e.status,
		progress: e.progress,
		url,
		size: e.size,
		error: e.error
	};
}

// The index of recorded segments in the database: one row per file, written
// while recording, searched by time, merged into spans, counted per day; and
// the repair at start-up of the segments a crash left open.
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { config } from '../config';
import { db } from '../db/client';
import { Fmp4Splitter } from '../media/fmp4';

export interface Segment {
	id: number;
	cameraId: string;
	startAt: Date;
	endAt: Date | null;
	durationMs: number;
	size: number;
	initSize: number;
	path: string;
}

/** Segments closer than this are one span (and play without a discontinuity). */
export const JOIN_MS = 500;

export const segmentFile = (s: { path: string }) => path.join(config.record.dir, s.path);
export const segmentEnd = (s: Segment) => new Date(s.startAt.getTime() + s.durationMs);

export function openSegment(cameraId: string, startAt: Date, relPath: string, initSize: number, size: number): Promise<Segment> {
	return db.recording.create({ data: { cameraId, startAt, path: relPath, initSize, size } });
}

/** Progress of an open segment, or (closed) its final figures. */
export function updateSegment(id: number, startAt: Date, durationMs: number, size: number, closed: boolean) {
	const endAt = closed ? new Date(startAt.getTime() + durationMs) : undefined;
	return db.recording.update({ where: { id }, data: { startAt, durationMs, size, endAt } });
}

/**
 * Segments of a camera overlapping [start, end) that hold footage, oldest first. The one
 * being written is included as far as its row says: its size and duration are saved
 * together every 2 s, at a fragment boundary, so it plays and exports up to then.
 */
export async function segmentsBetween(cameraId: string, start: Date, end: Date): Promise<Segment[]> {
	// A segment is at most an hour long (segment length limit), so its start is after start - 1 h.
	const rows = await db.recording.findMany({
		where: { cameraId, startAt: { lt: end, gte: new Date(start.getTime() - 3_600_000) } },
		orderBy: { startAt: 'asc' }
	});
	return rows.filter((s) => segmentEnd(s) > start && s.durationMs > 0);
}

/** Consecutive segments merged into continuous spans. */
export function mergeSpans(segments: Segment[]): { start: Date; end: Date }[] {
	const spans: { start: Date; end: Date }[] = [];
	for (const s of segments) {
		const last = spans[spans.length - 1];
		const end = segmentEnd(s);
		if (last && s.startAt.getTime() - last.end.getTime() <= JOIN_MS) {
			if (end > last.end) last.end = end;
		} else spans.push({ start: s.startAt, end });
	}
	return spans;
}

/** Days (1–31) of a month, in the server's time zone, with any footage. */
export async function daysWithFootage(cameraId: string, year: number, month: number): Promise<number[]> {
	const from = new Date(year, month - 1, 1);
	const to = new Date(year, month, 1);
	const days = new Set<number>();
	for (const s of await segmentsBetween(cameraId, from, to)) {
		const last = new Date(Math.min(segmentEnd(s).getTime() - 1, to.getTime() - 1));
		for (let d = new Date(Math.max(s.startAt.getTime(), from.getTime())); d <= last; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
			days.add(d.getDate());
		}
	}
	return [...days].sort((a, b) => a - b);
}

/**
 * Segments left open by a crash: each file is cut back to its last complete
 * fragment and its row gets the duration and size actually on disk; a file
 * with no complete fragment is dropped with its row.
 */
export async function recoverOpenSegments(): Promise<number> {
	const open = await db.recording.findMany({ where: { endAt: null } });
	for (const s of open) {
		const file = segmentFile(s);
		const found = existsSync(file) ? scanSegment(readFileSync(file)) : undefined;
		if (!found || found.durationMs <= 0) {
			await db.recording.delete({ where: { id: s.id } });
			continue;
		}
		truncateSync(file, found.size);
		await db.recording.update({
			where: { id: s.id },
			data: { durationMs: found.durationMs, size: found.size, endAt: new Date(s.startAt.getTime() + found.durationMs) }
		});
	}
	return open.length;
}

/** The whole init and fragments at the start of a segment file: their length and the video duration they hold. */
function scanSegment(data: Buffer): { size: number; durationMs: number } | undefined {
	let events;
	try {
		events = new Fmp4Splitter({ repairTimestamps: false }).push(data);
	} catch {
		return undefined;
	}
	let size = 0;
	let video: { id: number; timescale: number } | undefined;
	let first: number | undefined;
	let end = 0;
	for (const ev of events) {
		if (ev.type === 'init') {
			if (video) break; // one init per file: anything after it is not ours
			video = ev.init.tracks.find((t) => t.kind === 'video');
			size += ev.init.data.length;
			continue;
		}
		size += ev.fragment.data.length;
		for (const s of ev.fragment.samples) {
			if (s.trackId !== video?.id) continue;
			first ??= s.dts;
			end = Math.max(end, s.dts + s.duration);
		}
	}
	if (!video || first === undefined) return undefined;
	return { size, durationMs: Math.round(((end - first) * 1000) / video.timescale) };
}

// What may stay on disk: each camera's footage and snapshots for its
// retention days, exported clips for a day, all footage under the global quota, and at least
// RECORD_MIN_FREE_MB free where recordings are written. The oldest footage
// goes first; when that is not enough, the disk is "full" and recording stops
// (the recorders say so) until a later pass finds room again.
import { mkdirSync, rmdirSync, rmSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { config } from '../config';
import { db } from '../db/client';
import { exportPath } from './paths';

const MB = 1024 * 1024;
/** Exported clips are for downloading soon after: a day later they are gone. */
const EXPORT_KEEP_MS = 86_400_000;

export interface DiskState {
	full: boolean;
	freeMb: number;
}

export function freeMb(): number {
	mkdirSync(config.record.dir, { recursive: true });
	const s = statfsSync(config.record.dir);
	return Math.floor((s.bavail * s.bsize) / MB);
}

/** Deletes files and their now-empty date folders; a file already gone is fine. */
export function removeFiles(root: string, relPaths: string[]) {
	for (const rel of relPaths) {
		const file = path.join(root, rel);
		rmSync(file, { force: true });
		try {
			rmdirSync(path.dirname(file));
		} catch {
			/* not empty */
		}
	}
}

async function deleteSegments(ids: number[], paths: string[]) {
	removeFiles(config.record.dir, paths);
	await db.recording.deleteMany({ where: { id: { in: ids } } });
}

/** Deletes the oldest closed segments (all cameras), one at a time (no more than needed), while `more()` says so. False: nothing left to delete. */
async function deleteOldestWhile(more: () => Promise<boolean> | boolean): Promise<boolean> {
	while (await more()) {
		const oldest = await db.recording.findFirst({ where: { endAt: { not: null } }, orderBy: { startAt: 'asc' } });
		if (!oldest) return false;
		await deleteSegments([oldest.id], [oldest.path]);
	}
	return true;
}

export async function retentionPass(): Promise<DiskState> {
	const now = Date.now();
	for (const camera of await db.camera.findMany({ where: { retentionDays: { gt: 0 } }, select: { id: true, retentionDays: true } })) {
		const before = new Date(now - camera.retentionDays * 86_400_000);
		const old = await db.recording.findMany({ where: { cameraId: camera.id, endAt: { lt: before } }, select: { id: true, path: true } });
		if (old.length) await deleteSegments(old.map((s) => s.id), old.map((s) => s.path));
		const shots = await db.snapshot.findMany({ where: { cameraId: camera.id, takenAt: { lt: before } }, select: { id: true, path: true } });
		if (shots.length) {
			removeFiles(config.record.snapshotDir, shots.map((s) => s.path));
			await db.snapshot.deleteMany({ where: { id: { in: shots.map((s) => s.id) } } });
		}
	}
	const exports = await db.export.findMany({ where: { createdAt: { lt: new Date(now - EXPORT_KEEP_MS) } }, select: { id: true } });
	if (exports.length) {
		for (const e of exports) rmSync(exportPath(e.id), { force: true });
		await db.export.deleteMany({ where: { id: { in: exports.map((e) => e.id) } } });
	}
	if (config.record.quotaMb > 0) {
		await deleteOldestWhile(async () => ((await db.recording.aggregate({ _sum: { size: true } }))._sum.size ?? 0) > config.record.quotaMb * MB);
	}
	const room = await deleteOldestWhile(() => freeMb() < config.record.minFreeMb);
	const free = freeMb();
	return { full: !room && free < config.record.minFreeMb, freeMb: free };
}

/** Files of a deleted camera (its rows went with it). */
export function removeCameraMedia(cameraId: string) {
	for (const root of [config.record.dir, config.record.snapshotDir]) rmSync(path.join(root, cameraId), { recursive: true, force: true });
}

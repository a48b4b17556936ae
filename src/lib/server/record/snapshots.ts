// JPEG stills: now, from the hub's cached keyframe (no wait for the next GOP),
// and periodically per camera (snapshotSec, document 004's snap_val), stored
// and indexed; the newest one is the camera's thumbnail.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { db } from '../db/client';
import { live } from '../hub/live';
import type { CameraStream } from '../hub/stream';
import { keyframeMp4, mp4ToJpeg } from '../live/keyframe';
import { offlineError } from '../live/access';
import type { Camera } from '../cameras/cameras';
import { snapshotPath } from './paths';

/** The camera's picture now, as JPEG; a camera with no picture is a 503. */
export async function snapshotJpeg(stream: CameraStream): Promise<Buffer> {
	const k = stream.keyframe() ?? (await live.keyframe(stream.id));
	if (!k) throw offlineError(stream);
	return mp4ToJpeg(keyframeMp4(k));
}

const due = new Map<string, number>();
const taking = new Set<string>();

/** Called every second with every camera: takes the periodic snapshots that are due. */
export function periodicSnapshots(cameras: Iterable<Camera>, now = Date.now()) {
	for (const c of cameras) {
		if (!c.enabled || c.snapshotSec <= 0) {
			due.delete(c.id);
			continue;
		}
		const at = due.get(c.id);
		if (at === undefined) due.set(c.id, now);
		if ((at ?? now) > now || taking.has(c.id)) continue;
		due.set(c.id, now + c.snapshotSec * 1000);
		const stream = live.stream(c.id);
		if (!stream) continue;
		taking.add(c.id);
		void storeSnapshot(c.id, stream)
			.catch((e) => console.error(`camera ${c.id}: snapshot: ${e.message}`))
			.finally(() => taking.delete(c.id));
	}
}

async function storeSnapshot(cameraId: string, stream: CameraStream) {
	const jpeg = await snapshotJpeg(stream);
	const takenAt = new Date();
	const { relative, absolute } = snapshotPath(cameraId, takenAt);
	mkdirSync(path.dirname(absolute), { recursive: true });
	writeFileSync(absolute, jpeg);
	await db.snapshot.create({ data: { cameraId, takenAt, size: jpeg.length, path: relative } });
}

export function snapshotView(s: { id: number; takenAt: Date; size: number }, url: string) {
	return { id: s.id, takenAt: s.takenAt.toISOString(), size: s.size, url };
}

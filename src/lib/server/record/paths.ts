// Where recorded media lives: DATA_DIR/mediastore/record/<camera id>/<local date>/<local time>.mp4,
// snapshots likewise under mediastore/snapshots, exports under mediastore/exports.
import path from 'node:path';
import { config } from '../config';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local date and time of `at` as path parts: 2026-12-04 and 19-30-05.250. */
function localParts(at: Date): [string, string] {
	const date = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
	const time = `${pad(at.getHours())}-${pad(at.getMinutes())}-${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
	return [date, time];
}

function mediaPath(root: string, cameraId: string, at: Date, ext: string) {
	const [date, time] = localParts(at);
	const relative = `${cameraId}/${date}/${time}.${ext}`;
	return { relative, absolute: path.join(root, relative) };
}

export const segmentPath = (cameraId: string, at: Date) => mediaPath(config.record.dir, cameraId, at, 'mp4');
export const snapshotPath = (cameraId: string, at: Date) => mediaPath(config.record.snapshotDir, cameraId, at, 'jpg');
export const exportPath = (id: string) => path.join(config.record.exportDir, `${id}.mp4`);

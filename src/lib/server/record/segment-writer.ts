// One recorded segment on disk: a fragmented MP4 (the hub's init, then its
// moof+mdat fragments exactly as received). Written synchronously, so a
// killed server leaves every fragment it was handed in the file (the page
// cache survives the process), and fdatasync'd about once a second for power
// loss. A fragmented MP4 plays up to its last complete fragment.
import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Fragment, InitSegment } from '../media/types';

const SYNC_MS = 1000;

export class SegmentWriter {
	private fd: number;
	private lastSync = Date.now();
	size = 0;
	readonly initSize: number;
	/** Decode times of the video track (its timescale): first sample, end of the last. */
	readonly startDts: number;
	endDts: number;

	constructor(
		readonly file: string,
		init: InitSegment,
		private readonly video: { id: number; timescale: number },
		first: Fragment
	) {
		mkdirSync(path.dirname(file), { recursive: true });
		this.fd = openSync(file, 'w');
		this.initSize = init.data.length;
		this.startDts = this.endDts = videoStart(first, video.id) ?? 0;
		try {
			this.write(init.data);
			this.append(first);
		} catch (e) {
			closeSync(this.fd);
			throw e;
		}
	}

	get durationMs(): number {
		return Math.round(((this.endDts - this.startDts) * 1000) / this.video.timescale);
	}

	/** Media time of a fragment's first video sample relative to this segment's start, in ms. */
	offsetMs(f: Fragment): number | undefined {
		const dts = videoStart(f, this.video.id);
		return dts === undefined ? undefined : ((dts - this.startDts) * 1000) / this.video.timescale;
	}

	/** Appends a fragment; on a write error (disk full) the file is cut back to its last whole fragment and the error thrown. */
	append(f: Fragment) {
		const before = this.size;
		try {
			this.write(f.data);
		} catch (e) {
			ftruncateSync(this.fd, before);
			this.size = before;
			throw e;
		}
		for (const s of f.samples) if (s.trackId === this.video.id) this.endDts = Math.max(this.endDts, s.dts + s.duration);
		if (Date.now() - this.lastSync >= SYNC_MS) {
			fdatasyncSync(this.fd);
			this.lastSync = Date.now();
		}
	}

	close() {
		try {
			fdatasyncSync(this.fd);
		} finally {
			closeSync(this.fd);
		}
	}

	private write(data: Buffer) {
		let done = 0;
		while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
		this.size += data.length;
	}
}

function videoStart(f: Fragment, trackId: number): number | undefined {
	return f.samples.find((s) => s.trackId === trackId)?.dts;
}

// The recorder of one camera: a consumer of the hub (no extra upstream; while
// attached it keeps the camera's ingest up) that writes segment files cut at
// keyframes. The keyframe that ends a segment starts the next one, and the
// next segment's start time is the previous start plus its media duration, so
// consecutive segments neither gap nor overlap. The first segment of a run
// is placed on the wall clock by its end (the latest fragment arrived now):
// a source delivers a burst of frames when it starts, so its first arrival
// says little about when they were filmed.
import { live } from '../hub/live';
import type { Consumer } from '../hub/stream';
import type { Fragment, InitSegment } from '../media/types';
import { openSegment, updateSegment, type Segment } from './recording-index';
import { SegmentWriter } from './segment-writer';
import { segmentPath } from './paths';

export type RecordReason = 'continuous' | 'schedule' | 'manual';

export interface RecorderStatus {
	state: 'idle' | 'recording' | 'error';
	reason: RecordReason | null;
	error: string | null;
	since: string;
}

// The open segment's row is brought up to date this often (what a listing shows of it).
const PROGRESS_MS = 2000;
// Media time and the wall clock may drift apart (camera clocks): past this, start times follow the wall clock again.
const MAX_DRIFT_MS = 5000;

interface Open {
	writer: SegmentWriter;
	init: InitSegment;
	startAt: Date;
	/** Its start follows from the previous segment (else from the wall clock). */
	chained: boolean;
	row: Promise<Segment | undefined>;
	lastProgress: number;
}

export class CameraRecorder {
	private detach?: () => void;
	private open?: Open;
	/** Where the last segment ended (its init and video decode time): a restart never records that footage twice. */
	private lastEnd?: { init: InitSegment; dts: number; at: number };
	private statusValue: RecorderStatus = { state: 'idle', reason: null, error: null, since: new Date().toISOString() };

	constructor(
		readonly cameraId: string,
		private readonly segmentMs: () => number,
		private readonly onWriteError: (error: Error) => void,
		private readonly onStatus: (status: RecorderStatus) => void
	) {}

	get status(): RecorderStatus {
		return this.statusValue;
	}

	get active(): boolean {
		return this.detach !== undefined;
	}

	start(reason: RecordReason) {
		if (this.detach) {
			if (this.statusValue.reason !== reason) this.setStatus('recording', reason);
			return;
		}
		const stream = live.stream(this.cameraId);
		if (!stream) return;
		this.setStatus('recording', reason);
		const consumer: Consumer = {
			protocol: 'record',
			remoteAddress: 'internal',
			startedAt: new Date(),
			bytes: 0,
			// A new init (the source restarted, maybe with other codecs): a new file.
			onInit: () => this.closeSegment(),
			onFragment: (f) => this.fragment(f),
			// The camera dropped: what it sent so far becomes a closed, playable segment now, not when it returns.
			onEnd: () => this.closeSegment()
		};
		this.detach = live.attach(this.cameraId, consumer);
		// Start from the cached keyframe: footage from the moment recording was asked for, not the next GOP.
		const gop = stream.cachedGop;
		const first = gop[0]?.samples.find((s) => s.trackId === stream.videoTrack?.id);
		const recordedBefore = this.lastEnd && this.lastEnd.init === stream.init && first && first.dts < this.lastEnd.dts;
		if (!recordedBefore) for (const f of gop) this.fragment(f);
	}

	/** Stops recording; `error` leaves the recorder in the error state with that message. */
	stop(error?: string) {
		this.detach?.();
		this.detach = undefined;
		this.closeSegment();
		if (error) this.setStatus('error', null, error);
		else if (this.statusValue.state !== 'idle' || this.statusValue.error) this.setStatus('idle', null);
	}

	/** Forgets a past error (the condition that caused it is gone). */
	clearError() {
		if (this.statusValue.state === 'error') this.setStatus('idle', null);
	}

	private fragment(f: Fragment) {
		if (!this.detach) return;
		const now = Date.now();
		const cur = this.open;
		if (cur && f.keyframe) {
			const offset = cur.writer.offsetMs(f);
			if (offset !== undefined && offset >= this.segmentMs()) {
				this.closeSegment();
				const next = cur.startAt.getTime() + cur.writer.durationMs;
				if (Math.abs(next - now) > MAX_DRIFT_MS) this.openSegment(f, now, false);
				else this.openSegment(f, next, true);
				return;
			}
		}
		if (!cur) {
			if (f.keyframe) this.openSegment(f, now, false);
			return;
		}
		try {
			cur.writer.append(f);
		} catch (e) {
			this.failed(e as Error);
			return;
		}
		if (!cur.chained) cur.startAt = new Date(Math.max(now - cur.writer.durationMs, this.lastEnd?.at ?? 0));
		if (now - cur.lastProgress >= PROGRESS_MS) {
			cur.lastProgress = now;
			this.saveProgress(cur, false);
		}
	}

	private openSegment(first: Fragment, startMs: number, chained: boolean) {
		const stream = live.stream(this.cameraId);
		const video = stream?.videoTrack;
		if (!stream?.init || !video) return;
		const startAt = new Date(startMs);
		const { relative, absolute } = segmentPath(this.cameraId, startAt);
		let writer: SegmentWriter;
		try {
			writer = new SegmentWriter(absolute, stream.init, video, first);
		} catch (e) {
			this.failed(e as Error);
			return;
		}
		const row = openSegment(this.cameraId, startAt, relative, writer.initSize, writer.size).catch((e) => {
			console.error(`camera ${this.cameraId}: recording index: ${e.message}`);
			return undefined;
		});
		this.open = { writer, init: stream.init, startAt, chained, row, lastProgress: Date.now() };
	}

	private closeSegment() {
		const cur = this.open;
		if (!cur) return;
		this.open = undefined;
		this.lastEnd = { init: cur.init, dts: cur.writer.endDts, at: cur.startAt.getTime() + cur.writer.durationMs };
		try {
			cur.writer.close();
		} catch (e) {
			console.error(`camera ${this.cameraId}: closing ${cur.writer.file}: ${(e as Error).message}`);
		}
		this.saveProgress(cur, true);
	}

	private saveProgress(cur: Open, closed: boolean) {
		const { durationMs, size } = cur.writer;
		const startAt = cur.startAt;
		void cur.row.then((row) => row && updateSegment(row.id, startAt, durationMs, size, closed)).catch((e) => console.error(`camera ${this.cameraId}: recording index: ${e.message}`));
	}

	private failed(e: Error) {
		const message = (e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk full: recording stopped' : `recording failed: ${e.message}`;
		console.error(`camera ${this.cameraId}: ${message}`);
		this.stop(message);
		this.onWriteError(e);
	}

	private setStatus(state: RecorderStatus['state'], reason: RecordReason | null, error: string | null = null) {
		const changed = this.statusValue.state !== state;
		this.statusValue = { state, reason, error, since: new Date().toISOString() };
		if (changed) this.onStatus(this.statusValue);
	}
}

// The one fan-out object per camera: the init segment, the fragments since the
// last keyframe (so a new consumer starts at once, with SPS/PPS), the live
// status, and every consumer, accounted. Nothing else moves media between
// ingest and outputs.
import { EventEmitter } from 'node:events';
import type { Fragment, InitSegment, Sample, TrackInfo } from '../media/types';
import type { IngestState } from '../ingest/ffmpeg-ingest';

export interface Consumer {
	protocol: string;
	remoteAddress: string;
	startedAt: Date;
	/** Bytes sent to this consumer, counted by the output. */
	bytes: number;
	/** A new init segment: the stream (re)started, possibly with other codecs. */
	onInit?(init: InitSegment): void;
	onFragment(fragment: Fragment): void;
	/** The source stopped delivering (it went offline or failed); onInit follows if it comes back. */
	onEnd?(): void;
}

export interface StreamStatus {
	state: IngestState;
	error: string | null;
	codec: string | null;
	audioCodec: string | null;
	width: number | null;
	height: number | null;
	fps: number | null;
	/** Bits per second over the last few seconds. */
	bitrate: number | null;
	since: string;
}

// A GOP longer than this (a camera with a huge keyframe interval) is not
// cached whole: the cache restarts at the next keyframe.
const MAX_GOP_BYTES = 32 * 1024 * 1024;
const RATE_WINDOW_MS = 5000;

export class CameraStream extends EventEmitter {
	init?: InitSegment;
	private gop: Fragment[] = [];
	private gopBytes = 0;
	readonly consumers = new Set<Consumer>();
	private statusValue: StreamStatus = emptyStatus('offline');
	private rate: { at: number; bytes: number; frames: number }[] = [];

	constructor(readonly id: string) {
		super();
	}

	get status(): StreamStatus {
		return this.statusValue;
	}

	get videoTrack(): TrackInfo | undefined {
		return this.init?.tracks.find((t) => t.kind === 'video');
	}

	/** Fragments from the last keyframe on, in order. */
	get cachedGop(): readonly Fragment[] {
		return this.gop;
	}

	/** The cached keyframe sample, if any: the newest GOP's first video sample. */
	keyframe(): { init: InitSegment; track: TrackInfo; sample: Sample } | undefined {
		const track = this.videoTrack;
		const first = this.gop[0];
		if (!this.init || !track || !first) return undefined;
		const sample = first.samples.find((s) => s.trackId === track.id && s.keyframe);
		return sample && { init: this.init, track, sample };
	}

	setState(state: IngestState, error?: string) {
		const s = this.statusValue;
		if (s.state === state && s.error === (error ?? null)) return;
		this.statusValue = state === 'online' ? { ...s, state, error: null, since: new Date().toISOString() } : emptyStatus(state, error);
		if (state !== 'online') {
			this.gop = [];
			this.gopBytes = 0;
			this.rate = [];
			if (s.state === 'online') for (const c of this.consumers) c.onEnd?.();
		}
		this.emit('status', this.statusValue);
	}

	pushInit(init: InitSegment) {
		this.init = init;
		this.gop = [];
		this.gopBytes = 0;
		const video = init.tracks.find((t) => t.kind === 'video');
		const audio = init.tracks.find((t) => t.kind === 'audio');
		this.statusValue = {
			...this.statusValue,
			codec: video?.codecString ?? null,
			audioCodec: audio?.codecString ?? null,
			width: video?.width ?? null,
			height: video?.height ?? null
		};
		for (const c of this.consumers) c.onInit?.(init);
		this.emit('init', init);
	}

	pushFragment(fragment: Fragment) {
		if (fragment.keyframe || this.gopBytes + fragment.data.length > MAX_GOP_BYTES) {
			this.gop = [];
			this.gopBytes = 0;
		}
		if (fragment.keyframe || this.gop.length > 0) {
			this.gop.push(fragment);
			this.gopBytes += fragment.data.length;
		}
		this.measure(fragment);
		for (const c of this.consumers) c.onFragment(fragment);
	}

	addConsumer(consumer: Consumer) {
		this.consumers.add(consumer);
		this.emit('consumers', this.consumers.size);
	}

	removeConsumer(consumer: Consumer) {
		if (this.consumers.delete(consumer)) this.emit('consumers', this.consumers.size);
	}

	private measure(fragment: Fragment) {
		const now = Date.now();
		const video = this.videoTrack;
		const frames = video ? fragment.samples.filter((s) => s.trackId === video.id).length : 0;
		this.rate.push({ at: now, bytes: fragment.data.length, frames });
		while (this.rate.length && this.rate[0].at < now - RATE_WINDOW_MS) this.rate.shift();
		const span = (now - this.rate[0].at) / 1000;
		if (span < 1) return;
		const bytes = this.rate.reduce((n, r) => n + r.bytes, 0);
		const count = this.rate.reduce((n, r) => n + r.frames, 0);
		this.statusValue.bitrate = Math.round((bytes * 8) / span);
		this.statusValue.fps = Math.round((count / span) * 10) / 10;
	}
}

function emptyStatus(state: IngestState, error?: string): StreamStatus {
	return { state, error: error ?? null, codec: null, audioCodec: null, width: null, height: null, fps: null, bitrate: null, since: new Date().toISOString() };
}

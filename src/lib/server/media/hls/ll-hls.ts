// Low-Latency HLS live muxer for fMP4 (CMAF-style) fragments.
//
// Ingest hands us moof+mdat fragments (often one per frame); we group them into
// parts (EXT-X-PART, ~partTargetSec each) and parts into segments (cut at the
// first keyframe once a segment is long enough), render the media and
// multivariant playlists, and answer the blocking requests of LL-HLS
// (playlist reload with _HLS_msn/_HLS_part, the preload-hinted part, the
// segment being written). The bytes are passed through untouched: a part is the
// concatenation of its fragments, a segment the concatenation of its parts.
//
// Pure protocol code: imports nothing from the app but the shared media types.
// References: RFC 8216, draft-pantos-hls-rfc8216bis (EXT-X-PART, EXT-X-PART-INF,
// EXT-X-SERVER-CONTROL, EXT-X-PRELOAD-HINT, blocking playlist reload).
import type { Fragment, InitSegment, TrackInfo } from '../types';

export interface HlsOptions {
	/** Part target duration in seconds (EXT-X-PART-INF PART-TARGET). Default 0.2. */
	partTargetSec?: number;
	/** Complete segments listed in the media playlist. Default 6. */
	segmentsInPlaylist?: number;
	/**
	 * A segment is cut at the first keyframe once it holds this many seconds
	 * (minus a small tolerance for timestamp jitter). Default 1: every keyframe
	 * of a 1 s GOP starts a segment.
	 */
	maxSegmentSec?: number;
}

/**
 * The URLs written into the playlists, relative to the playlist URL, query
 * included (token, camera id, muxer id…). Provided by the HTTP layer. URLs must
 * not contain `"` or line breaks.
 */
export interface HlsUrls {
	/** `version` changes when a new init segment is set: put it in the URL so clients refetch it. */
	init(version?: number): string;
	part(msn: number, part: number): string;
	segment(msn: number): string;
}

/** A request the HTTP layer should refuse: `status` is the HTTP status to answer. */
export class HlsError extends Error {
	readonly status: 400;
	constructor(status: 400, message: string) {
		super(message);
		this.name = 'HlsError';
		this.status = status;
	}
}

interface Part {
	index: number;
	data: Buffer;
	ticks: number;
	independent: boolean;
}

interface Segment {
	msn: number;
	initVersion: number;
	/** An EXT-X-DISCONTINUITY precedes it. */
	discontinuity: boolean;
	/** Discontinuity sequence number of this segment. */
	discSeq: number;
	/** Wall clock (ms) when its first fragment was pushed. */
	pdt: number;
	timescale: number;
	parts: Part[];
	/** Duration in `timescale` ticks, of the driving track. */
	ticks: number;
	/** Decode time where the segment's driving track ends so far (start + ticks). */
	end: number;
	bytes: number;
	frames: number;
	complete: boolean;
	/** The concatenated parts, built on first request. */
	data?: Buffer;
}

interface OpenPart {
	chunks: Buffer[];
	bytes: number;
	ticks: number;
	independent: boolean;
}

interface Waiter {
	/** True when it has settled (and should be forgotten). */
	poll(): boolean;
}

const PENDING = Symbol('pending');
type Poll<T> = T | typeof PENDING;

/** Extra complete segments kept beyond the playlist window, for clients a little behind. */
const EXTRA_SEGMENTS = 2;

export class LlHlsMuxer {
	/** Unique per muxer instance: put it in part/segment/init URLs so cached immutable responses never collide after a restart. */
	readonly id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

	private readonly partTargetSec: number;
	private readonly windowSize: number;
	private readonly maxSegmentSec: number;

	private readonly inits = new Map<number, Buffer>();
	private initVersion = 0;
	private lastInit?: InitSegment;
	private tracks: TrackInfo[] = [];
	private drive?: { id: number; timescale: number };

	/** Complete segments, oldest first, consecutive msn. */
	private readonly segments: Segment[] = [];
	/** The segment being written, if any. */
	private current?: Segment;
	/** The part being written (belongs to `current`). */
	private open?: OpenPart;
	private nextMsn = 0;
	private discSeq = 0;
	private pendingDiscontinuity = false;
	/** End dts of the last driving sample pushed. */
	private lastEnd?: number;
	private lastFragTicks = 0;

	/** Sticky: EXT-X-TARGETDURATION must not shrink. */
	private targetDuration: number;
	/**
	 * Sticky: raised if a single fragment is longer than the part target. (Only a
	 * timestamp gap, i.e. frames lost upstream, can make a part exceed it.)
	 */
	private partTarget: number;

	private closed = false;
	private readonly waiters = new Set<Waiter>();

	constructor(opts: HlsOptions = {}) {
		this.partTargetSec = positive(opts.partTargetSec, 0.2);
		this.windowSize = Math.max(1, Math.floor(positive(opts.segmentsInPlaylist, 6)));
		this.maxSegmentSec = positive(opts.maxSegmentSec, 1);
		this.targetDuration = Math.max(1, Math.ceil(this.maxSegmentSec));
		this.partTarget = this.partTargetSec;
	}

	// ---- input ------------------------------------------------------------

	/** A (new) init segment: the next segment starts at a keyframe, after an EXT-X-DISCONTINUITY if media came before. */
	setInit(init: InitSegment): void {
		if (this.closed) return;
		if (init === this.lastInit) return; // the very same init again
		this.lastInit = init;
		const previous = this.inits.get(this.initVersion);
		const hadMedia = this.current !== undefined || this.segments.length > 0;
		this.closeSegment();
		if (!previous || !previous.equals(init.data)) {
			this.initVersion++;
			this.inits.set(this.initVersion, Buffer.from(init.data));
		}
		this.tracks = init.tracks;
		const drive =
			init.tracks.find((t) => t.kind === 'video') ?? init.tracks.find((t) => t.kind === 'audio') ?? init.tracks[0];
		this.drive = drive && drive.timescale > 0 ? { id: drive.id, timescale: drive.timescale } : undefined;
		if (hadMedia) this.pendingDiscontinuity = true;
		this.lastEnd = undefined;
		this.lastFragTicks = 0;
		this.collectInits();
		this.wake();
	}

	/** The next fragment, in order. Dropped until an init is set and a keyframe arrives. */
	push(fragment: Fragment): void {
		const drive = this.drive;
		if (this.closed || !drive) return;
		const ts = drive.timescale;

		let frames = 0;
		let start: number | undefined;
		let end: number | undefined;
		// Only a fragment whose first sample of the driving track is a sync sample
		// can start a segment (an audio-only fragment of an A/V stream cannot).
		let key = false;
		for (const s of fragment.samples) {
			if (s.trackId !== drive.id) continue;
			if (start === undefined) {
				start = s.dts;
				key = s.keyframe;
			}
			end = Math.max(end ?? 0, s.dts + s.duration);
			frames++;
		}

		// A timestamp jump (source restarted without a new init): start over after a discontinuity.
		if (start !== undefined && this.lastEnd !== undefined && (start < this.lastEnd - ts || start > this.lastEnd + 10 * ts)) {
			this.closeSegment();
			this.pendingDiscontinuity = true;
		}
		if (end !== undefined) this.lastEnd = end;

		const cut = this.cutTicks(ts);
		const target = this.partTicks(ts);
		const seg = this.current;
		if (!seg || (key && seg.ticks >= cut)) {
			if (!key) return; // a segment starts at a keyframe
			this.closeSegment();
			this.startSegment(ts, start!);
		}
		// A fragment longer than the part target (e.g. one per GOP) makes a part
		// that long: raise PART-TARGET, which must bound every part.
		if (start !== undefined && end !== undefined && end - start > target) {
			this.partTarget = Math.max(this.partTarget, (end - start) / ts);
		}
		const cur = this.current!;
		// How far this fragment advances the segment's timeline: from the end of
		// what came before (so gaps and zero-duration samples still add up).
		const ticks = end === undefined ? 0 : Math.max(0, end - cur.end);
		if (cur === seg && this.open && (key || this.open.ticks + ticks > target)) {
			// Keep parts within the target, and let a keyframe start an independent part.
			this.closePart();
		}

		let op = this.open;
		if (!op) op = this.open = { chunks: [], bytes: 0, ticks: 0, independent: key };
		op.chunks.push(fragment.data);
		op.bytes += fragment.data.length;
		op.ticks += ticks;
		cur.ticks += ticks;
		cur.end += ticks;
		cur.frames += frames;
		if (ticks > 0) this.lastFragTicks = ticks;

		// Publish the part now if the next fragment would not fit, but only when
		// the next fragment cannot start a new segment: the preload hint then
		// always names the part that will really come next.
		if (cur.ticks < cut && (op.ticks >= target || op.ticks + this.lastFragTicks > target)) this.closePart();
	}

	/** Ends the stream: finishes the last segment, answers every waiter, and adds EXT-X-ENDLIST. */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		this.closeSegment();
		this.wake();
		this.waiters.clear();
	}

	// ---- output -----------------------------------------------------------

	/**
	 * The media playlist. With `wait` (from `_HLS_msn` / `_HLS_part`), holds until
	 * that segment (or part) is in the playlist, at most 3 × target duration, then
	 * answers anyway. Rejects with HlsError(400) when the request is too far ahead
	 * (msn beyond the last one + 2, or part beyond the advance part limit), and
	 * with the signal's reason when aborted.
	 */
	async playlist(urls: HlsUrls, wait?: { msn: number; part?: number }, signal?: AbortSignal): Promise<string> {
		if (!wait || this.closed) return this.render(urls);
		if (!isIndex(wait.msn) || (wait.part !== undefined && !isIndex(wait.part))) {
			throw new HlsError(400, 'HLS: _HLS_msn / _HLS_part must be non-negative integers');
		}
		if (this.tooFarAhead(wait.msn, wait.part)) {
			throw new HlsError(400, `HLS: msn ${wait.msn}${wait.part === undefined ? '' : ` part ${wait.part}`} is too far ahead`);
		}
		return this.waitFor(
			() => (this.reached(wait.msn, wait.part) ? this.render(urls) : PENDING),
			() => this.render(urls),
			signal
		);
	}

	/** The multivariant playlist: one variant, `mediaUrl` (relative, query included). */
	masterPlaylist(mediaUrl: string): string {
		const attrs: string[] = [];
		const { peak, average, frameRate } = this.stats();
		attrs.push(`BANDWIDTH=${peak}`, `AVERAGE-BANDWIDTH=${average}`);
		const codecs = this.tracks.map((t) => t.codecString).filter((c) => c && c.length > 0);
		if (codecs.length) attrs.push(`CODECS="${codecs.join(',')}"`);
		const video = this.tracks.find((t) => t.kind === 'video');
		if (video?.width && video.height) attrs.push(`RESOLUTION=${video.width}x${video.height}`);
		if (frameRate) attrs.push(`FRAME-RATE=${frameRate.toFixed(3)}`);
		return ['#EXTM3U', '#EXT-X-INDEPENDENT-SEGMENTS', `#EXT-X-STREAM-INF:${attrs.join(',')}`, mediaUrl, ''].join('\n');
	}

	/** The init segment (the current one, or an older `version` still referenced by the playlist). */
	init(version?: number): Buffer | undefined {
		return this.inits.get(version ?? this.initVersion);
	}

	/**
	 * A part. The part being written (the preload hint) or one a little ahead
	 * is awaited until complete (at most 3 × target duration); unknown, expired
	 * or never-to-exist parts give undefined.
	 */
	part(msn: number, part: number, signal?: AbortSignal): Promise<Buffer | undefined> {
		if (!isIndex(msn) || !isIndex(part)) return Promise.resolve(undefined);
		return this.waitFor(() => this.pollPart(msn, part), () => undefined, signal);
	}

	/** A segment. The one being written (or one a little ahead) is awaited until complete. */
	segment(msn: number, signal?: AbortSignal): Promise<Buffer | undefined> {
		if (!isIndex(msn)) return Promise.resolve(undefined);
		return this.waitFor(() => this.pollSegment(msn), () => undefined, signal);
	}

	/** Resolves true once a complete segment exists (a playable playlist), false on timeout or close. */
	ready(signal?: AbortSignal, timeoutMs?: number): Promise<boolean> {
		return this.waitFor(
			() => (this.segments.length > 0 ? true : this.closed ? false : PENDING),
			() => false,
			signal,
			timeoutMs
		);
	}

	/** Media sequence number of the last complete segment, -1 if none. */
	get lastMsn(): number {
		return this.segments.at(-1)?.msn ?? -1;
	}

	get isClosed(): boolean {
		return this.closed;
	}

	// ---- segmentation -----------------------------------------------------

	private partTicks(ts: number): number {
		return Math.round(this.partTargetSec * ts);
	}

	/** Segment length (ticks) from which a keyframe cuts: maxSegmentSec minus a jitter tolerance. */
	private cutTicks(ts: number): number {
		const tolerance = Math.min(0.1 * this.maxSegmentSec, 0.1);
		return Math.round((this.maxSegmentSec - tolerance) * ts);
	}

	private startSegment(timescale: number, start: number): void {
		const discontinuity = this.pendingDiscontinuity;
		if (discontinuity) this.discSeq++;
		this.pendingDiscontinuity = false;
		this.current = {
			msn: this.nextMsn++,
			initVersion: this.initVersion,
			discontinuity,
			discSeq: this.discSeq,
			pdt: Date.now(),
			timescale,
			parts: [],
			ticks: 0,
			end: start,
			bytes: 0,
			frames: 0,
			complete: false
		};
	}

	private closePart(): void {
		const op = this.open;
		const cur = this.current;
		this.open = undefined;
		if (!op || !cur || op.chunks.length === 0) return;
		// Always a copy: never retain the ingest's larger buffers.
		const data = Buffer.concat(op.chunks, op.bytes);
		cur.parts.push({ index: cur.parts.length, data, ticks: op.ticks, independent: op.independent });
		cur.bytes += op.bytes;
		this.wake();
	}

	private closeSegment(): void {
		this.closePart();
		const cur = this.current;
		if (!cur) return;
		this.current = undefined;
		cur.complete = true;
		this.segments.push(cur);
		this.targetDuration = Math.max(this.targetDuration, Math.ceil(cur.ticks / cur.timescale - 0.001));
		while (this.segments.length > this.windowSize + EXTRA_SEGMENTS) this.segments.shift();
		this.collectInits();
		this.wake();
	}

	/** Forget init segments no retained segment refers to. */
	private collectInits(): void {
		const oldest = this.segments[0]?.initVersion ?? this.current?.initVersion ?? this.initVersion;
		for (const v of this.inits.keys()) if (v < oldest && v !== this.initVersion) this.inits.delete(v);
	}

	// ---- lookups ----------------------------------------------------------

	private segmentAt(msn: number): Segment | undefined {
		if (this.current?.msn === msn) return this.current;
		const first = this.segments[0];
		if (!first) return undefined;
		const s = this.segments[msn - first.msn];
		return s?.msn === msn ? s : undefined;
	}

	/** The last complete part, as (msn, index). */
	private lastPart(): { msn: number; part: number } | undefined {
		const cur = this.current;
		if (cur && cur.parts.length > 0) return { msn: cur.msn, part: cur.parts.length - 1 };
		const last = this.segments.at(-1);
		return last ? { msn: last.msn, part: last.parts.length - 1 } : undefined;
	}

	/** The playlist holds segment `msn` complete, or (with `part`) that part or a later one. */
	private reached(msn: number, part?: number): boolean {
		if (this.closed || this.lastMsn >= msn) return true;
		if (part === undefined) return false;
		const lp = this.lastPart();
		return !!lp && (lp.msn > msn || (lp.msn === msn && lp.part >= part));
	}

	/** rfc8216bis 6.2.5.2: msn beyond the last segment + 2, or part beyond the Advance Part Limit. */
	private tooFarAhead(msn: number, part?: number): boolean {
		const lp = this.lastPart();
		const lastMsn = lp?.msn ?? this.nextMsn - 1;
		if (msn > lastMsn + 2) return true;
		if (part === undefined) return false;
		const limit = this.partTarget < 1 ? Math.floor(3 / this.partTarget + 1e-9) : 3;
		if (!lp) return part > limit;
		if (msn === lp.msn) return part > lp.part + limit;
		return msn > lp.msn && part > limit;
	}

	private pollPart(msn: number, index: number): Poll<Buffer | undefined> {
		const seg = this.segmentAt(msn);
		if (seg) {
			const p = seg.parts[index];
			if (p) return p.data;
			if (seg.complete || this.closed) return undefined;
		} else if (msn < this.nextMsn || this.closed) {
			return undefined; // expired
		}
		return this.tooFarAhead(msn, index) ? undefined : PENDING;
	}

	private pollSegment(msn: number): Poll<Buffer | undefined> {
		const seg = this.segmentAt(msn);
		if (seg?.complete) return (seg.data ??= Buffer.concat(seg.parts.map((p) => p.data), seg.bytes));
		if (this.closed) return undefined;
		if (seg) return PENDING;
		return msn < this.nextMsn || this.tooFarAhead(msn) ? undefined : PENDING;
	}

	// ---- waiting ----------------------------------------------------------

	/** Blocking limit: 3 × target duration (rfc8216bis). */
	private blockMs(): number {
		return 3 * this.targetDuration * 1000;
	}

	private waitFor<T>(poll: () => Poll<T>, onTimeout: () => T, signal?: AbortSignal, timeoutMs?: number): Promise<T> {
		const now = poll();
		if (now !== PENDING) return Promise.resolve(now);
		if (signal?.aborted) return Promise.reject(signal.reason);
		return new Promise<T>((resolve, reject) => {
			const finish = (): void => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
				this.waiters.delete(waiter);
			};
			const waiter: Waiter = {
				poll: () => {
					const v = poll();
					if (v === PENDING) return false;
					finish();
					resolve(v);
					return true;
				}
			};
			const onAbort = (): void => {
				finish();
				reject(signal?.reason);
			};
			const timer = setTimeout(() => {
				finish();
				resolve(onTimeout());
			}, timeoutMs ?? this.blockMs());
			signal?.addEventListener('abort', onAbort, { once: true });
			this.waiters.add(waiter);
		});
	}

	private wake(): void {
		for (const w of this.waiters) if (w.poll()) this.waiters.delete(w);
	}

	// ---- rendering --------------------------------------------------------

	private render(urls: HlsUrls): string {
		const listed = this.segments.slice(-this.windowSize);
		const cur = this.current;
		if (cur && cur.parts.length > 0) listed.push(cur);

		const out = [
			'#EXTM3U',
			'#EXT-X-VERSION:9',
			`#EXT-X-TARGETDURATION:${this.targetDuration}`,
			`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${dec(3 * this.partTarget)}`,
			`#EXT-X-PART-INF:PART-TARGET=${dec(this.partTarget)}`,
			`#EXT-X-MEDIA-SEQUENCE:${listed[0]?.msn ?? this.nextMsn}`
		];
		if (listed[0] && listed[0].discSeq > 0) out.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${listed[0].discSeq}`);
		out.push('#EXT-X-INDEPENDENT-SEGMENTS');

		// Parts are listed for the segments ending within 3 target durations of the live edge.
		const partsFrom = new Set<number>();
		let after = 0;
		for (let i = listed.length - 1; i >= 0 && after < 3 * this.targetDuration; i--) {
			partsFrom.add(listed[i].msn);
			after += listed[i].ticks / listed[i].timescale;
		}

		let map = -1;
		listed.forEach((seg, i) => {
			if (i > 0 && seg.discontinuity) out.push('#EXT-X-DISCONTINUITY');
			if (seg.initVersion !== map) {
				map = seg.initVersion;
				out.push(`#EXT-X-MAP:URI="${urls.init(map)}"`);
			}
			out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(seg.pdt).toISOString()}`);
			if (partsFrom.has(seg.msn)) {
				for (const p of seg.parts) {
					const independent = p.independent ? ',INDEPENDENT=YES' : '';
					out.push(`#EXT-X-PART:DURATION=${dec(p.ticks / seg.timescale)},URI="${urls.part(seg.msn, p.index)}"${independent}`);
				}
			}
			if (seg.complete) out.push(`#EXTINF:${dec(seg.ticks / seg.timescale)},`, urls.segment(seg.msn));
		});

		if (this.closed) {
			out.push('#EXT-X-ENDLIST');
		} else if (this.drive) {
			const next = cur ? { msn: cur.msn, part: cur.parts.length } : { msn: this.nextMsn, part: 0 };
			out.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${urls.part(next.msn, next.part)}"`);
		}
		return out.join('\n') + '\n';
	}

	/** Bandwidth (bit/s) over the retained segments, or a guess from the resolution before any. */
	private stats(): { peak: number; average: number; frameRate?: number } {
		let peak = 0;
		let bytes = 0;
		let seconds = 0;
		let frames = 0;
		const all = this.current && this.current.ticks > 0 ? [...this.segments, this.current] : this.segments;
		for (const s of all) {
			const sec = s.ticks / s.timescale;
			const b = s.bytes + (s === this.current ? (this.open?.bytes ?? 0) : 0);
			if (sec <= 0) continue;
			if (s.complete) peak = Math.max(peak, (b * 8) / sec);
			bytes += b;
			seconds += sec;
			frames += s.frames;
		}
		const video = this.tracks.find((t) => t.kind === 'video');
		const frameRate = video && this.drive?.id === video.id && seconds > 0 ? frames / seconds : undefined;
		if (seconds > 0) {
			const average = Math.max(1, Math.round((bytes * 8) / seconds));
			return { peak: Math.max(average, Math.round(peak)), average, frameRate };
		}
		let guess = this.tracks.some((t) => t.kind === 'audio') ? 128_000 : 0;
		if (video) guess += Math.round((video.width ?? 1280) * (video.height ?? 720) * 25 * 0.1);
		guess = Math.max(guess, 64_000);
		return { peak: guess, average: guess };
	}
}

function positive(v: number | undefined, fallback: number): number {
	return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

function isIndex(v: number): boolean {
	return Number.isSafeInteger(v) && v >= 0;
}

/** A decimal-floating-point attribute / EXTINF value. */
function dec(seconds: number): string {
	return seconds.toFixed(5);
}

// Incremental splitter of an fMP4 byte stream (ffmpeg -f mp4 -movflags
// empty_moov+…+frag_* on a pipe) into init segments and moof+mdat fragments.
// Pure: no app imports.
import type { Fragment, InitSegment } from '../types';
import { fourcc, printable } from './boxes';
import { startsWithKeyframe, parseFragment, type FragmentTrack } from './fragment';
import { parseInit, parseTrackDefaults } from './init';

export type SplitterEvent = { type: 'init'; init: InitSegment } | { type: 'fragment'; fragment: Fragment };

export interface SplitterOptions {
	/** Largest box accepted, in bytes (default 32 MiB). */
	maxBoxSize?: number;
	/**
	 * Repair the samples (not the bytes) of a known ffmpeg 5.1 frag_every_frame defect
	 * (default true): when two audio packets are muxed back to back, the first gets
	 * duration 0 and the second one's decode time, leaving a one-frame gap before it.
	 * A zero-duration sample after a gap no longer than the previous sample's duration
	 * is moved back into the gap and given its length.
	 */
	repairTimestamps?: boolean;
}

const DEFAULT_MAX_BOX_SIZE = 32 * 1024 * 1024;

/**
 * Feed it stdout chunks with push(); it answers the init segments and fragments
 * those chunks completed. Chunks are kept by reference, not copied: do not
 * modify a chunk after pushing it. Throws on a malformed or oversized box; the
 * splitter is then unusable (restart ingest and make a new one).
 */
export class Fmp4Splitter {
	private readonly maxBoxSize: number;
	private readonly repairTimestamps: boolean;
	/** Unconsumed chunks; the first one starts `head` bytes in. */
	private chunks: Buffer[] = [];
	private head = 0;
	private buffered = 0;
	/** Bytes consumed since the start, and where the current ffmpeg stream began. */
	private consumed = 0;
	private streamStart = 0;
	/** Bytes still to discard of a box being skipped. */
	private skipping = 0;
	private ftyp: Buffer | undefined;
	private tracks: FragmentTrack[] | undefined;
	private nextDts = new Map<number, number>();
	/** Per track: end time and duration of the last sample given out (after repair). */
	private last = new Map<number, { end: number; duration: number }>();
	/** Samples whose timestamps were repaired, since the start. */
	repairedSamples = 0;
	private failed: Error | undefined;

	constructor(options: SplitterOptions = {}) {
		this.maxBoxSize = options.maxBoxSize ?? DEFAULT_MAX_BOX_SIZE;
		this.repairTimestamps = options.repairTimestamps ?? true;
	}

	push(chunk: Buffer): SplitterEvent[] {
		if (this.failed) throw this.failed;
		const events: SplitterEvent[] = [];
		if (chunk.length === 0) return events;
		this.chunks.push(chunk);
		this.buffered += chunk.length;
		try {
			while (this.step(events));
		} catch (err) {
			this.failed = err instanceof Error ? err : new Error(String(err));
			this.chunks = [];
			this.buffered = 0;
			throw this.failed;
		}
		return events;
	}

	/** Handles the next top-level box if enough bytes are buffered; false when more are needed. */
	private step(events: SplitterEvent[]): boolean {
		if (this.skipping > 0) {
			const n = Math.min(this.skipping, this.buffered);
			this.discard(n);
			this.skipping -= n;
			return this.skipping === 0 && this.buffered > 0;
		}
		const box = this.peekBox(0);
		if (!box) return false;

		if (box.type === 'moof') {
			// A moof goes out with the mdat that follows it, as one contiguous buffer.
			const next = this.peekBox(box.size);
			if (!next) return false;
			if (next.type !== 'mdat') {
				// A moof without its mdat cannot be used: drop it and go on with the next box.
				this.discard(box.size);
				return true;
			}
			if (this.buffered < box.size + next.size) return false;
			const moofOffset = this.consumed - this.streamStart;
			const data = this.take(box.size + next.size);
			if (this.tracks) events.push({ type: 'fragment', fragment: this.fragment(data, box.size, moofOffset) });
			return true;
		}
		if (box.type === 'ftyp' || box.type === 'moov') {
			if (this.buffered < box.size) return false;
			if (box.type === 'ftyp') this.streamStart = this.consumed;
			const data = this.take(box.size);
			if (box.type === 'ftyp') {
				this.ftyp = Buffer.from(data); // kept until its moov: copy off the shared chunk
			} else {
				events.push({ type: 'init', init: this.init(data) });
			}
			return true;
		}
		// free, skip, styp, sidx, mfra, a stray mdat, …: not needed, drop without buffering.
		const n = Math.min(box.size, this.buffered);
		this.discard(n);
		this.skipping = box.size - n;
		return this.skipping === 0 && this.buffered > 0;
	}

	private init(moov: Buffer): InitSegment {
		const data = this.ftyp ? Buffer.concat([this.ftyp, moov]) : Buffer.from(moov);
		this.ftyp = undefined;
		const tracks = parseInit(data);
		const defaults = parseTrackDefaults(data);
		this.tracks = tracks.map((t) => ({ id: t.id, kind: t.kind, defaults: defaults.get(t.id) }));
		this.nextDts.clear();
		this.last.clear();
		return { data, tracks };
	}

	private fragment(data: Buffer, moofSize: number, moofOffset: number): Fragment {
		const tracks = this.tracks ?? [];
		const samples = parseFragment(data.subarray(0, moofSize), data.subarray(moofSize), tracks, {
			moofOffset,
			nextDts: this.nextDts
		});
		if (this.repairTimestamps) {
			for (const s of samples) {
				const prev = this.last.get(s.trackId);
				const gap = prev ? s.dts - prev.end : 0;
				if (prev && s.duration === 0 && gap > 0 && gap <= prev.duration) {
					s.dts = prev.end;
					s.duration = gap;
					this.repairedSamples++;
				}
				this.last.set(s.trackId, { end: s.dts + s.duration, duration: s.duration });
			}
		}
		return { data, samples, keyframe: startsWithKeyframe(samples, tracks) };
	}

	/** Type and size of the box `at` bytes into the buffered data, once its header is buffered. */
	private peekBox(at: number): { type: string; size: number } | undefined {
		if (this.buffered < at + 8) return undefined;
		const h = this.peek(at, 8);
		const type = fourcc(h, 4);
		if (!/^[\x20-\x7e]{4}$/.test(type)) throw new Error(`fMP4: not a box: type ${printable(type)} at stream offset ${this.consumed + at}`);
		let size = h.readUInt32BE(0);
		if (size === 1) {
			if (this.buffered < at + 16) return undefined;
			const l = this.peek(at + 8, 8);
			size = l.readUInt32BE(0) * 0x1_0000_0000 + l.readUInt32BE(4);
			if (size < 16) throw new Error(`fMP4: malformed box '${type}': largesize ${size}`);
		} else if (size === 0) {
			throw new Error(`fMP4: box '${type}' with size 0 (to end of stream) cannot be streamed`);
		} else if (size < 8) {
			throw new Error(`fMP4: malformed box '${type}': size ${size}`);
		}
		if (size > this.maxBoxSize) {
			throw new Error(`fMP4: box '${type}' of ${size} bytes exceeds the ${this.maxBoxSize}-byte limit`);
		}
		return { type, size };
	}

	/** Copies n buffered bytes starting `at` bytes in (n is small: box headers). */
	private peek(at: number, n: number): Buffer {
		let i = 0;
		let off = this.head + at;
		while (off >= this.chunks[i].length) off -= this.chunks[i++].length;
		const c = this.chunks[i];
		if (off + n <= c.length) return c.subarray(off, off + n);
		const out = Buffer.allocUnsafe(n);
		for (let w = 0; w < n; ) {
			const src = this.chunks[i];
			const k = Math.min(n - w, src.length - off);
			src.copy(out, w, off, off + k);
			w += k;
			off = 0;
			i++;
		}
		return out;
	}

	/** Removes and returns the next n bytes: a view when they lie in one chunk, else one copy. */
	private take(n: number): Buffer {
		const first = this.chunks[0];
		let out: Buffer;
		if (first.length - this.head >= n) {
			out = first.subarray(this.head, this.head + n);
		} else {
			out = Buffer.allocUnsafe(n);
			for (let w = 0, i = 0, off = this.head; w < n; i++, off = 0) {
				const src = this.chunks[i];
				const k = Math.min(n - w, src.length - off);
				src.copy(out, w, off, off + k);
				w += k;
			}
		}
		this.discard(n);
		return out;
	}

	/** Drops the next n buffered bytes. */
	private discard(n: number): void {
		this.buffered -= n;
		this.consumed += n;
		let drop = 0;
		let off = this.head + n;
		while (drop < this.chunks.length && off >= this.chunks[drop].length) off -= this.chunks[drop++].length;
		if (drop) this.chunks.splice(0, drop);
		this.head = this.chunks.length ? off : 0;
	}
}

// Movie fragments (moof+mdat): samples out of a received fragment, and a new
// fragment out of samples. Pure: no app imports.
import type { Sample, TrackKind } from '../types';
import type { TrackDefaults } from './init';
import { boxHeader, children, fourcc, fullBoxHeader, readBoxHeader, readU64, writeU64 } from './boxes';

/** What parseFragment needs of a track: its kind, and its trex defaults from the init. */
export interface FragmentTrack {
	id: number;
	kind: TrackKind;
	defaults?: TrackDefaults;
}

export interface ParseFragmentOptions {
	/** Offset of the moof from the start of its stream, to resolve an absolute tfhd base-data-offset. */
	moofOffset?: number;
	/** Next decode time per track id: read when a traf has no tfdt, updated after each traf. */
	nextDts?: Map<number, number>;
}

// tfhd flags
const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
const TFHD_DEFAULT_DURATION = 0x000008;
const TFHD_DEFAULT_SIZE = 0x000010;
const TFHD_DEFAULT_FLAGS = 0x000020;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
// trun flags
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_DURATION = 0x000100;
const TRUN_SIZE = 0x000200;
const TRUN_FLAGS = 0x000400;
const TRUN_CTS_OFFSET = 0x000800;
// sample flags
const SAMPLE_IS_NON_SYNC = 0x00010000;
const SAMPLE_DEPENDS_ON_OTHERS = 0x01000000;
const SAMPLE_DEPENDS_ON_NONE = 0x02000000;

/** A trun may not describe more samples than this (a guard against garbage counts). */
const MAX_SAMPLES_PER_RUN = 1 << 20;

/**
 * The samples of one moof+mdat pair, in traf then trun order. `moof` and `mdat` are
 * whole boxes and the mdat must directly follow the moof in the stream. Sample
 * data are subarrays of `mdat`. Trafs of tracks not in `tracks` are skipped.
 */
export function parseFragment(
	moof: Buffer,
	mdat: Buffer,
	tracks: readonly FragmentTrack[],
	options: ParseFragmentOptions = {}
): Sample[] {
	const mh = readBoxHeader(moof, 0);
	if (!mh || fourcc(moof, 4) !== 'moof') throw new Error('fMP4: parseFragment expects a moof box');
	const dh = readBoxHeader(mdat, 0);
	if (!dh || fourcc(mdat, 4) !== 'mdat') throw new Error('fMP4: parseFragment expects an mdat box');
	// Positions below are relative to the first byte of the moof.
	const dataStart = moof.length + dh.headerSize;
	const dataEnd = moof.length + mdat.length;
	const moofOffset = options.moofOffset ?? 0;

	const samples: Sample[] = [];
	let firstTraf = true;
	let previousTrafEnd = 0;
	for (const traf of children(moof, mh.headerSize, moof.length)) {
		if (traf.type !== 'traf') continue;
		const kids = children(moof, traf.payload, traf.end);
		const tfhd = kids.find((b) => b.type === 'tfhd');
		if (!tfhd || tfhd.end - tfhd.payload < 8) throw new Error('fMP4: traf without a valid tfhd');

		// tfhd: track_ID, then the optional fields its flags announce.
		const th = fullBoxHeader(moof, tfhd);
		let at = th.body;
		const trackId = moof.readUInt32BE(at);
		at += 4;
		const track = tracks.find((t) => t.id === trackId);
		const trex = track?.defaults;
		const need = (th.flags & TFHD_BASE_DATA_OFFSET ? 8 : 0) + 4 * popcount(th.flags & 0x3a);
		if (at + need > tfhd.end) throw new Error('fMP4: tfhd shorter than its flags announce');
		let base: number;
		if (th.flags & TFHD_BASE_DATA_OFFSET) {
			base = readU64(moof, at) - moofOffset;
			at += 8;
		} else {
			// default-base-is-moof, or (neither flag) the moof for the first traf and
			// the end of the previous traf's data for the next ones.
			base = th.flags & TFHD_DEFAULT_BASE_IS_MOOF || firstTraf ? 0 : previousTrafEnd;
		}
		firstTraf = false;
		if (th.flags & TFHD_SAMPLE_DESCRIPTION_INDEX) at += 4; // one sample entry is all we describe
		let defaultDuration = trex?.duration ?? 0;
		let defaultSize = trex?.size ?? 0;
		let defaultFlags = trex?.flags ?? 0;
		if (th.flags & TFHD_DEFAULT_DURATION) {
			defaultDuration = moof.readUInt32BE(at);
			at += 4;
		}
		if (th.flags & TFHD_DEFAULT_SIZE) {
			defaultSize = moof.readUInt32BE(at);
			at += 4;
		}
		if (th.flags & TFHD_DEFAULT_FLAGS) defaultFlags = moof.readUInt32BE(at);

		const tfdt = kids.find((b) => b.type === 'tfdt');
		let dts = options.nextDts?.get(trackId) ?? 0;
		if (tfdt) {
			const h = fullBoxHeader(moof, tfdt);
			if (h.body + (h.version === 1 ? 8 : 4) > tfdt.end) throw new Error('fMP4: tfdt too short');
			dts = h.version === 1 ? readU64(moof, h.body) : moof.readUInt32BE(h.body);
		}

		const audio = track?.kind === 'audio';
		let pos = base;
		for (const trun of kids) {
			if (trun.type !== 'trun') continue;
			const rh = fullBoxHeader(moof, trun);
			const f = rh.flags;
			let p = rh.body;
			if (p + 4 > trun.end) throw new Error('fMP4: trun too short');
			const count = moof.readUInt32BE(p);
			p += 4;
			const perSample = 4 * popcount(f & 0xf00);
			const fixed = (f & TRUN_DATA_OFFSET ? 4 : 0) + (f & TRUN_FIRST_SAMPLE_FLAGS ? 4 : 0);
			if (count > MAX_SAMPLES_PER_RUN || p + fixed + count * perSample > trun.end) {
				throw new Error(`fMP4: trun of ${count} samples does not fit its ${trun.end - trun.start}-byte box`);
			}
			if (f & TRUN_DATA_OFFSET) {
				pos = base + moof.readInt32BE(p);
				p += 4;
			}
			let firstFlags = -1;
			if (f & TRUN_FIRST_SAMPLE_FLAGS) {
				firstFlags = moof.readUInt32BE(p);
				p += 4;
			}

			for (let i = 0; i < count; i++) {
				let duration = defaultDuration;
				let size = defaultSize;
				let flags = i === 0 && firstFlags >= 0 ? firstFlags : defaultFlags;
				let cts = 0;
				if (f & TRUN_DURATION) {
					duration = moof.readUInt32BE(p);
					p += 4;
				}
				if (f & TRUN_SIZE) {
					size = moof.readUInt32BE(p);
					p += 4;
				}
				if (f & TRUN_FLAGS) {
					flags = moof.readUInt32BE(p);
					p += 4;
				}
				// Read signed in both versions: version 0 is unsigned by the letter of the
				// spec, but some muxers write negative offsets there, and no real offset
				// reaches 2^31 ticks.
				if (f & TRUN_CTS_OFFSET) {
					cts = moof.readInt32BE(p);
					p += 4;
				}
				if (pos < dataStart || pos + size > dataEnd) {
					throw new Error(`fMP4: sample of track ${trackId} (${size} bytes at ${pos}) lies outside the mdat`);
				}
				if (track) {
					samples.push({
						trackId,
						dts,
						ctsOffset: cts,
						duration,
						keyframe: audio || !(flags & SAMPLE_IS_NON_SYNC),
						data: mdat.subarray(pos - moof.length, pos - moof.length + size)
					});
				}
				pos += size;
				dts += duration;
			}
		}
		previousTrafEnd = pos;
		options.nextDts?.set(trackId, dts);
	}
	return samples;
}

/** Whether a consumer may start at these samples: the first video sample is a keyframe (or, with no video track, the first sample). */
export function startsWithKeyframe(samples: readonly Sample[], tracks: readonly FragmentTrack[]): boolean {
	const videoIds = tracks.filter((t) => t.kind === 'video').map((t) => t.id);
	if (!videoIds.length) return samples.length > 0 && samples[0].keyframe;
	const first = samples.find((s) => videoIds.includes(s.trackId));
	return first !== undefined && first.keyframe;
}

function popcount(n: number): number {
	let c = 0;
	for (; n; n &= n - 1) c++;
	return c;
}

/** The samples of one track to put in a fragment, from its base decode time. */
export interface TrackRun {
	trackId: number;
	baseDecodeTime: number;
	samples: Sample[];
}

/** Samples grouped per track in first-seen order, each run starting at its first sample's dts. */
export function groupRuns(samples: readonly Sample[]): TrackRun[] {
	const runs = new Map<number, TrackRun>();
	for (const s of samples) {
		let run = runs.get(s.trackId);
		if (!run) runs.set(s.trackId, (run = { trackId: s.trackId, baseDecodeTime: s.dts, samples: [] }));
		run.samples.push(s);
	}
	return [...runs.values()];
}

/**
 * One moof (mfhd; per track a traf with tfhd default-base-is-moof, tfdt v1 and a
 * trun v1 with data offset and per-sample duration, size, flags and cts offset)
 * followed by one mdat holding the tracks' samples in order.
 */
export function writeFragment(sequence: number, trackSamples: TrackRun[]): Buffer {
	const runs = trackSamples.filter((r) => r.samples.length > 0);
	// Sizes: moof header 8 + mfhd 16; per traf 8 + tfhd 16 + tfdt 20 + trun 20 + 16 per sample.
	let moofSize = 8 + 16;
	let dataSize = 0;
	for (const r of runs) {
		moofSize += 64 + 16 * r.samples.length;
		for (const s of r.samples) dataSize += s.data.length;
	}
	const mdatHeader = boxHeader('mdat', dataSize);
	const out = Buffer.allocUnsafe(moofSize + mdatHeader.length + dataSize);

	let p = 0;
	const u32 = (n: number) => {
		out.writeUInt32BE(n >>> 0, p);
		p += 4;
	};
	const header = (size: number, type: string) => {
		u32(size);
		p += out.write(type, p, 'latin1');
	};
	header(moofSize, 'moof');
	header(16, 'mfhd');
	u32(0);
	u32(sequence);

	let dataPos = moofSize + mdatHeader.length; // from the moof's first byte
	for (const r of runs) {
		const n = r.samples.length;
		header(64 + 16 * n, 'traf');
		header(16, 'tfhd');
		u32(TFHD_DEFAULT_BASE_IS_MOOF);
		u32(r.trackId);
		header(20, 'tfdt');
		u32(0x01000000);
		writeU64(out, r.baseDecodeTime, p);
		p += 8;
		header(20 + 16 * n, 'trun');
		u32(0x01000000 | TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | TRUN_CTS_OFFSET);
		u32(n);
		u32(dataPos);
		for (const s of r.samples) {
			u32(s.duration);
			u32(s.data.length);
			u32(s.keyframe ? SAMPLE_DEPENDS_ON_NONE : SAMPLE_DEPENDS_ON_OTHERS | SAMPLE_IS_NON_SYNC);
			out.writeInt32BE(s.ctsOffset, p);
			p += 4;
			dataPos += s.data.length;
		}
	}
	mdatHeader.copy(out, p);
	p += mdatHeader.length;
	for (const r of runs) {
		for (const s of r.samples) {
			out.set(s.data, p);
			p += s.data.length;
		}
	}
	return out;
}

// NAL unit helpers for H.264 (ISO/IEC 14496-10) and H.265 (ITU-T H.265):
// length-prefixed (AVCC / HVCC, as stored in MP4 samples) and Annex-B
// (start-code delimited, as in a raw .h264 stream) framing. Pure functions.

export const H264_NAL = {
	SLICE: 1,
	IDR: 5,
	SEI: 6,
	SPS: 7,
	PPS: 8,
	AUD: 9,
	STAP_A: 24,
	FU_A: 28
} as const;

export const H265_NAL = {
	IDR_W_RADL: 19,
	IDR_N_LP: 20,
	CRA: 21,
	VPS: 32,
	SPS: 33,
	PPS: 34,
	AUD: 35,
	PREFIX_SEI: 39,
	AP: 48,
	FU: 49
} as const;

/** nal_unit_type of an H.264 NAL unit (low 5 bits of its first byte). */
export function h264NalType(nal: Uint8Array): number {
	return nal[0] & 0x1f;
}

/** nal_unit_type of an H.265 NAL unit (bits 1..6 of its 2-byte header). */
export function h265NalType(nal: Uint8Array): number {
	return (nal[0] >> 1) & 0x3f;
}

/** An H.265 IRAP picture (BLA, IDR or CRA: types 16..23) is a random access point. */
export function h265IsIrap(type: number): boolean {
	return type >= 16 && type <= 23;
}

/**
 * Split a length-prefixed sample (AVCC/HVCC: each NAL preceded by its size in
 * `lengthSize` big-endian bytes) into NAL units. The returned buffers share
 * memory with `sample`. Throws on a length running past the end.
 */
export function splitLengthPrefixed(sample: Buffer, lengthSize = 4): Buffer[] {
	if (![1, 2, 4].includes(lengthSize)) throw new Error(`bad NAL length size ${lengthSize}`);
	const nals: Buffer[] = [];
	let off = 0;
	while (off < sample.length) {
		if (off + lengthSize > sample.length) throw new Error('truncated NAL length');
		const len = lengthSize === 4 ? sample.readUInt32BE(off) : lengthSize === 2 ? sample.readUInt16BE(off) : sample[off];
		off += lengthSize;
		if (off + len > sample.length) throw new Error(`NAL length ${len} runs past the sample end`);
		if (len > 0) nals.push(sample.subarray(off, off + len));
		off += len;
	}
	return nals;
}

/** Join NAL units into one length-prefixed sample (4-byte lengths by default). */
export function joinLengthPrefixed(nals: Uint8Array[], lengthSize = 4): Buffer {
	const total = nals.reduce((n, x) => n + lengthSize + x.length, 0);
	const out = Buffer.alloc(total);
	let off = 0;
	for (const nal of nals) {
		out.writeUIntBE(nal.length, off, lengthSize);
		off += lengthSize;
		out.set(nal, off);
		off += nal.length;
	}
	return out;
}

/**
 * Split an Annex-B byte stream (00 00 01 / 00 00 00 01 start codes) into NAL
 * units, without the start codes. Trailing zero bytes of a NAL (the leading
 * zero of a 4-byte start code) are dropped. The buffers share memory with `data`.
 */
export function splitAnnexB(data: Buffer): Buffer[] {
	const starts: { at: number; payload: number }[] = [];
	for (let i = 0; i + 2 < data.length; i++) {
		if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
			starts.push({ at: i > 0 && data[i - 1] === 0 ? i - 1 : i, payload: i + 3 });
			i += 2;
		}
	}
	const nals: Buffer[] = [];
	for (let k = 0; k < starts.length; k++) {
		let end = k + 1 < starts.length ? starts[k + 1].at : data.length;
		while (end > starts[k].payload && data[end - 1] === 0) end--;
		if (end > starts[k].payload) nals.push(data.subarray(starts[k].payload, end));
	}
	return nals;
}

/**
 * Incremental Annex-B H.264 splitter: feed it stream chunks, get whole access
 * units (arrays of NAL units) back. An access unit ends before an AUD, an
 * SPS/PPS/SEI following a slice, or a slice whose first_mb_in_slice is 0
 * (a new picture). Call `flush()` at the end of the stream for the last one.
 */
export class H264AnnexBSplitter {
	private pending: Buffer = Buffer.alloc(0);
	private au: Buffer[] = [];
	private auHasSlice = false;

	push(chunk: Buffer): Buffer[][] {
		this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
		// Keep everything from the last start code on: that NAL may be incomplete.
		let last = -1;
		for (let i = this.pending.length - 3; i >= 0; i--) {
			if (this.pending[i] === 0 && this.pending[i + 1] === 0 && this.pending[i + 2] === 1) {
				last = i;
				break;
			}
		}
		if (last <= 0) return [];
		const complete = this.pending.subarray(0, last);
		this.pending = Buffer.from(this.pending.subarray(last));
		return this.take(splitAnnexB(complete).map((n) => Buffer.from(n)));
	}

	flush(): Buffer[][] {
		const out = this.take(splitAnnexB(this.pending).map((n) => Buffer.from(n)));
		this.pending = Buffer.alloc(0);
		if (this.au.length) out.push(this.au);
		this.au = [];
		this.auHasSlice = false;
		return out;
	}

	private take(nals: Buffer[]): Buffer[][] {
		const out: Buffer[][] = [];
		for (const nal of nals) {
			const type = h264NalType(nal);
			const isSlice = type >= 1 && type <= 5;
			// first_mb_in_slice is ue(v); a value of 0 codes as a single 1 bit.
			const newPicture = isSlice && nal.length > 1 && (nal[1] & 0x80) !== 0;
			const startsAu = type === H264_NAL.AUD || ((type === H264_NAL.SPS || type === H264_NAL.PPS || type === H264_NAL.SEI) && this.auHasSlice) || (newPicture && this.auHasSlice);
			if (startsAu && this.au.length) {
				out.push(this.au);
				this.au = [];
				this.auHasSlice = false;
			}
			this.au.push(nal);
			if (isSlice) this.auHasSlice = true;
		}
		return out;
	}
}

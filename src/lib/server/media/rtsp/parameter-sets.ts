// What a receiver of RTP video learns from the parameter sets: the frame
// reordering depth (B-frames) of an H.264 or H.265 SPS, needed to give access
// units decode times, and the hvcC record an H.265 stream's MP4 track needs
// (avcC has buildAvcC in ../h264). Plus the dOps record of an Opus track.
// Pure code; parsing never throws past its public functions.
import { buildAvcC } from '../h264/avcc';
import { h264ProfileOf } from '../h264/avcc';

/** The RBSP of a NAL unit: emulation prevention bytes (00 00 03) removed. */
export function unescapeRbsp(nal: Buffer): Buffer {
	const out = Buffer.allocUnsafe(nal.length);
	let n = 0;
	let zeros = 0;
	for (let i = 0; i < nal.length; i++) {
		const b = nal[i];
		if (zeros >= 2 && b === 3) {
			zeros = 0;
			continue;
		}
		zeros = b === 0 ? zeros + 1 : 0;
		out[n++] = b;
	}
	return out.subarray(0, n);
}

class BitReader {
	private bit = 0;
	constructor(private readonly buf: Buffer) {}

	u(n: number): number {
		let v = 0;
		for (let i = 0; i < n; i++) {
			if (this.bit >= this.buf.length * 8) throw new Error('bitstream ends early');
			v = v * 2 + ((this.buf[this.bit >> 3] >> (7 - (this.bit & 7))) & 1);
			this.bit++;
		}
		return v;
	}

	skip(n: number) {
		this.bit += n;
		if (this.bit > this.buf.length * 8) throw new Error('bitstream ends early');
	}

	ue(): number {
		let zeros = 0;
		while (this.u(1) === 0) if (++zeros > 31) throw new Error('bad exp-Golomb code');
		return zeros ? 2 ** zeros - 1 + this.u(zeros) : 0;
	}

	se(): number {
		const k = this.ue();
		return k & 1 ? (k + 1) / 2 : -(k / 2);
	}
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipHrd(r: BitReader) {
	const count = r.ue() + 1;
	r.skip(8);
	for (let i = 0; i < count && i < 32; i++) {
		r.ue();
		r.ue();
		r.skip(1);
	}
	r.skip(20);
}

/** What an H.264 SPS says about frame reordering. */
export interface H264SpsInfo {
	profileIdc: number;
	picOrderCntType: number;
	maxNumRefFrames: number;
	/** From the VUI's bitstream restriction, when present. */
	maxNumReorderFrames?: number;
	width: number;
	height: number;
}

export function parseH264Sps(nal: Buffer): H264SpsInfo {
	const r = new BitReader(unescapeRbsp(nal.subarray(1)));
	const profileIdc = r.u(8);
	r.skip(16);
	r.ue();
	let chroma = 1;
	if (HIGH_PROFILES.has(profileIdc)) {
		chroma = r.ue();
		if (chroma === 3) r.skip(1);
		r.ue();
		r.ue();
		r.skip(1);
		if (r.u(1)) {
			for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) {
				if (!r.u(1)) continue;
				const size = i < 6 ? 16 : 64;
				let last = 8;
				let next = 8;
				for (let j = 0; j < size; j++) {
					if (next !== 0) next = (last + r.se() + 256) % 256;
					last = next === 0 ? last : next;
				}
			}
		}
	}
	r.ue();
	const picOrderCntType = r.ue();
	if (picOrderCntType === 0) r.ue();
	else if (picOrderCntType === 1) {
		r.skip(1);
		r.se();
		r.se();
		const n = r.ue();
		for (let i = 0; i < n && i < 256; i++) r.se();
	}
	const maxNumRefFrames = r.ue();
	r.skip(1);
	const widthMbs = r.ue() + 1;
	const heightMapUnits = r.ue() + 1;
	const frameMbsOnly = r.u(1);
	if (!frameMbsOnly) r.skip(1);
	r.skip(1);
	const crop = [0, 0, 0, 0];
	if (r.u(1)) for (let i = 0; i < 4; i++) crop[i] = r.ue();
	const cropUnitX = chroma === 1 || chroma === 2 ? 2 : 1;
	const cropUnitY = (chroma === 1 ? 2 : 1) * (2 - frameMbsOnly);
	const info: H264SpsInfo = {
		profileIdc,
		picOrderCntType,
		maxNumRefFrames,
		width: widthMbs * 16 - cropUnitX * (crop[0] + crop[1]),
		height: (2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (crop[2] + crop[3])
	};
	if (!r.u(1)) return info;
	// VUI
	if (r.u(1) && r.u(8) === 255) r.skip(32);
	if (r.u(1)) r.skip(1);
	if (r.u(1)) {
		r.skip(4);
		if (r.u(1)) r.skip(24);
	}
	if (r.u(1)) {
		r.ue();
		r.ue();
	}
	if (r.u(1)) r.skip(65);
	const nalHrd = r.u(1);
	if (nalHrd) skipHrd(r);
	const vclHrd = r.u(1);
	if (vclHrd) skipHrd(r);
	if (nalHrd || vclHrd) r.skip(1);
	r.skip(1);
	if (r.u(1)) {
		r.skip(1);
		r.ue();
		r.ue();
		r.ue();
		r.ue();
		info.maxNumReorderFrames = r.ue();
	}
	return info;
}

/** Frames an H.264 stream may hold back before output: 0 without B-frames. A guess of 2 when the SPS doesn't tell. */
export function h264ReorderDepth(sps: Buffer | undefined): number {
	if (!sps || sps.length < 4) return 2;
	try {
		const info = parseH264Sps(sps);
		if (info.maxNumReorderFrames !== undefined) return Math.min(info.maxNumReorderFrames, 16);
		// POC type 2: output order is decode order. Baseline has no B slices.
		if (info.picOrderCntType === 2) return 0;
		const profile = h264ProfileOf(sps.subarray(1, 4).toString('hex'));
		if (profile === 'baseline' || profile === 'constrained-baseline') return 0;
		return Math.min(2, info.maxNumRefFrames);
	} catch {
		return 2;
	}
}

export interface H265SpsInfo {
	/** The 12 bytes of general profile_tier_level (profile space/tier/idc, compatibility, constraints, level). */
	generalPtl: Buffer;
	maxSubLayersMinus1: number;
	temporalIdNesting: boolean;
	chromaFormatIdc: number;
	bitDepthLumaMinus8: number;
	bitDepthChromaMinus8: number;
	width: number;
	height: number;
	maxNumReorderPics: number;
}

export function parseH265Sps(nal: Buffer): H265SpsInfo {
	const rbsp = unescapeRbsp(nal.subarray(2));
	if (rbsp.length < 14) throw new Error('H.265 SPS too short');
	const r = new BitReader(rbsp);
	r.skip(4);
	const maxSubLayersMinus1 = r.u(3);
	const temporalIdNesting = r.u(1) === 1;
	const generalPtl = Buffer.from(rbsp.subarray(1, 13));
	r.skip(96);
	const subProfile: boolean[] = [];
	const subLevel: boolean[] = [];
	for (let i = 0; i < maxSubLayersMinus1; i++) {
		subProfile.push(r.u(1) === 1);
		subLevel.push(r.u(1) === 1);
	}
	if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.skip(2);
	for (let i = 0; i < maxSubLayersMinus1; i++) {
		if (subProfile[i]) r.skip(88);
		if (subLevel[i]) r.skip(8);
	}
	r.ue();
	const chromaFormatIdc = r.ue();
	if (chromaFormatIdc === 3) r.skip(1);
	let width = r.ue();
	let height = r.ue();
	if (r.u(1)) {
		const sub = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
		const subY = chromaFormatIdc === 1 ? 2 : 1;
		const [l, rr, t, b] = [r.ue(), r.ue(), r.ue(), r.ue()];
		width -= sub * (l + rr);
		height -= subY * (t + b);
	}
	const bitDepthLumaMinus8 = r.ue();
	const bitDepthChromaMinus8 = r.ue();
	r.ue();
	const allLayers = r.u(1);
	let maxNumReorderPics = 0;
	for (let i = allLayers ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
		r.ue();
		maxNumReorderPics = r.ue();
		r.ue();
	}
	return { generalPtl, maxSubLayersMinus1, temporalIdNesting, chromaFormatIdc, bitDepthLumaMinus8, bitDepthChromaMinus8, width, height, maxNumReorderPics };
}

export function h265ReorderDepth(sps: Buffer | undefined): number {
	if (!sps) return 2;
	try {
		return Math.min(parseH265Sps(sps).maxNumReorderPics, 16);
	} catch {
		return 2;
	}
}

/** An HEVCDecoderConfigurationRecord (hvcC) from VPS, SPS and PPS NAL units (4-byte NAL lengths). Throws on an unreadable SPS. */
export function buildHvcC(vps: Buffer[], sps: Buffer[], pps: Buffer[]): Buffer {
	if (!sps.length) throw new Error('hvcC needs an SPS');
	const info = parseH265Sps(sps[0]);
	const head = Buffer.alloc(23);
	head[0] = 1;
	info.generalPtl.copy(head, 1); // profile space/tier/idc, 32 compatibility flags, 48 constraint flags, level
	head.writeUInt16BE(0xf000, 13); // min_spatial_segmentation_idc 0
	head[15] = 0xfc; // parallelismType 0
	head[16] = 0xfc | (info.chromaFormatIdc & 3);
	head[17] = 0xf8 | (info.bitDepthLumaMinus8 & 7);
	head[18] = 0xf8 | (info.bitDepthChromaMinus8 & 7);
	head.writeUInt16BE(0, 19); // avgFrameRate unknown
	head[21] = (((info.maxSubLayersMinus1 + 1) & 7) << 3) | (info.temporalIdNesting ? 4 : 0) | 3;
	const arrays = [
		[32, vps],
		[33, sps],
		[34, pps]
	].filter(([, nals]) => (nals as Buffer[]).length) as [number, Buffer[]][];
	head[22] = arrays.length;
	const parts: Buffer[] = [head];
	for (const [type, nals] of arrays) {
		const h = Buffer.alloc(3);
		h[0] = 0x80 | type;
		h.writeUInt16BE(nals.length, 1);
		parts.push(h);
		for (const n of nals) {
			const l = Buffer.alloc(2);
			l.writeUInt16BE(n.length);
			parts.push(l, n);
		}
	}
	return Buffer.concat(parts);
}

/** avcC from parameter sets, or undefined when the SPS can't make one. */
export function avcCFrom(sps: Buffer[], pps: Buffer[]): Buffer | undefined {
	if (!sps.length || !pps.length || sps[0].length < 4) return undefined;
	try {
		return buildAvcC(sps, pps);
	} catch {
		return undefined;
	}
}

/** The dOps payload (ISO/IEC 23003-5 / Opus in ISOBMFF §4.3.2) for an Opus stream from RTP: mapping family 0. */
export function opusDops(channels: number, inputSampleRate = 48000): Buffer {
	const b = Buffer.alloc(11);
	b[0] = 0;
	b[1] = Math.min(Math.max(channels, 1), 2);
	b.writeUInt16BE(0, 2); // pre-skip: unknown from RTP
	b.writeUInt32BE(inputSampleRate, 4);
	b.writeInt16BE(0, 8);
	b[10] = 0;
	return b;
}

// Picture size out of the sequence parameter set in an avcC (H.264) or hvcC
// (H.265) record: the coded size minus the cropping / conformance window.
// Pure: no app imports.

export interface PictureSize {
	width: number;
	height: number;
}

/** Bit reader over an RBSP (a NAL unit with its emulation-prevention bytes removed). */
class Bits {
	private bit = 0;
	constructor(private readonly data: Buffer) {}

	u(n: number): number {
		let v = 0;
		for (let i = 0; i < n; i++, this.bit++) {
			if (this.bit >= this.data.length * 8) throw new Error('SPS: truncated');
			v = v * 2 + ((this.data[this.bit >> 3] >> (7 - (this.bit & 7))) & 1);
		}
		return v;
	}

	skip(n: number): void {
		this.bit += n;
	}

	/** Unsigned exp-Golomb. */
	ue(): number {
		let zeros = 0;
		while (this.u(1) === 0) if (++zeros > 31) throw new Error('SPS: bad exp-Golomb code');
		return 2 ** zeros - 1 + this.u(zeros);
	}

	/** Signed exp-Golomb. */
	se(): number {
		const k = this.ue();
		return k & 1 ? (k + 1) / 2 : -k / 2;
	}
}

/** The RBSP of a NAL unit: every 0x000003 becomes 0x0000. */
function rbsp(nal: Buffer): Buffer {
	const out: number[] = [];
	for (let i = 0, zeros = 0; i < nal.length; i++) {
		if (zeros >= 2 && nal[i] === 3) {
			zeros = 0;
			continue;
		}
		zeros = nal[i] === 0 ? zeros + 1 : 0;
		out.push(nal[i]);
	}
	return Buffer.from(out);
}

/** SubWidthC / SubHeightC for chroma_format_idc 0..3 (4:0:0 and separate planes count as 1×1). */
function chromaSubsampling(chromaFormat: number, separatePlanes: boolean): [number, number] {
	if (separatePlanes || chromaFormat === 0 || chromaFormat === 3) return [1, 1];
	return chromaFormat === 1 ? [2, 2] : [2, 1];
}

const H264_HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Picture size from an H.264 SPS NAL unit (header byte included), ITU-T H.264 7.3.2.1.1. */
export function h264SpsSize(nal: Buffer): PictureSize {
	const r = new Bits(rbsp(nal.subarray(1)));
	const profile = r.u(8);
	r.skip(16); // constraint flags, level_idc
	r.ue(); // seq_parameter_set_id
	let chromaFormat = 1;
	let separatePlanes = false;
	if (H264_HIGH_PROFILES.has(profile)) {
		chromaFormat = r.ue();
		if (chromaFormat === 3) separatePlanes = r.u(1) === 1;
		r.ue(); // bit_depth_luma_minus8
		r.ue(); // bit_depth_chroma_minus8
		r.skip(1); // qpprime_y_zero_transform_bypass_flag
		if (r.u(1)) {
			// seq_scaling_matrix_present_flag: skip the scaling lists that are present.
			for (let i = 0; i < (chromaFormat === 3 ? 12 : 8); i++) {
				if (!r.u(1)) continue;
				for (let j = 0, last = 8, next = 8; j < (i < 6 ? 16 : 64) && next !== 0; j++) {
					next = (last + r.se() + 256) % 256;
					if (next !== 0) last = next;
				}
			}
		}
	}
	r.ue(); // log2_max_frame_num_minus4
	const pocType = r.ue();
	if (pocType === 0) {
		r.ue(); // log2_max_pic_order_cnt_lsb_minus4
	} else if (pocType === 1) {
		r.skip(1); // delta_pic_order_always_zero_flag
		r.se(); // offset_for_non_ref_pic
		r.se(); // offset_for_top_to_bottom_field
		const cycle = r.ue();
		for (let i = 0; i < cycle; i++) r.se(); // offset_for_ref_frame
	}
	r.ue(); // max_num_ref_frames
	r.skip(1); // gaps_in_frame_num_value_allowed_flag
	const widthMbs = r.ue() + 1;
	const heightMapUnits = r.ue() + 1;
	const frameMbsOnly = r.u(1);
	if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
	r.skip(1); // direct_8x8_inference_flag
	let [left, right, top, bottom] = [0, 0, 0, 0];
	if (r.u(1)) [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];

	const [subW, subH] = chromaSubsampling(chromaFormat, separatePlanes);
	const cropX = subW;
	const cropY = subH * (2 - frameMbsOnly);
	return {
		width: widthMbs * 16 - cropX * (left + right),
		height: (2 - frameMbsOnly) * heightMapUnits * 16 - cropY * (top + bottom)
	};
}

/** Picture size from an H.265 SPS NAL unit (2-byte header included), ITU-T H.265 7.3.2.2. */
export function h265SpsSize(nal: Buffer): PictureSize {
	const r = new Bits(rbsp(nal.subarray(2)));
	r.skip(4); // sps_video_parameter_set_id
	const maxSubLayersMinus1 = r.u(3);
	r.skip(1); // sps_temporal_id_nesting_flag
	// profile_tier_level(1, maxSubLayersMinus1): 88 bits of general profile, 8 of level.
	r.skip(96);
	const subLayers: [number, number][] = [];
	for (let i = 0; i < maxSubLayersMinus1; i++) subLayers.push([r.u(1), r.u(1)]);
	if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
	for (const [profilePresent, levelPresent] of subLayers) r.skip((profilePresent ? 88 : 0) + (levelPresent ? 8 : 0));
	r.ue(); // sps_seq_parameter_set_id
	const chromaFormat = r.ue();
	const separatePlanes = chromaFormat === 3 && r.u(1) === 1;
	const width = r.ue();
	const height = r.ue();
	let [left, right, top, bottom] = [0, 0, 0, 0];
	if (r.u(1)) [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
	const [subW, subH] = chromaSubsampling(chromaFormat, separatePlanes);
	return { width: width - subW * (left + right), height: height - subH * (top + bottom) };
}

/** The first SPS of an avcC payload (ISO 14496-15 5.3.3.1). */
export function avcCSps(avcC: Buffer): Buffer | undefined {
	if (avcC.length < 8 || (avcC[5] & 0x1f) === 0) return undefined;
	const len = avcC.readUInt16BE(6);
	return 8 + len <= avcC.length ? avcC.subarray(8, 8 + len) : undefined;
}

/** The first SPS (NAL type 33) of an hvcC payload (ISO 14496-15 8.3.3.1). */
export function hvcCSps(hvcC: Buffer): Buffer | undefined {
	if (hvcC.length < 23) return undefined;
	let at = 23;
	for (let arrays = hvcC[22]; arrays > 0 && at + 3 <= hvcC.length; arrays--) {
		const type = hvcC[at] & 0x3f;
		const count = hvcC.readUInt16BE(at + 1);
		at += 3;
		for (let i = 0; i < count && at + 2 <= hvcC.length; i++) {
			const len = hvcC.readUInt16BE(at);
			if (type === 33 && at + 2 + len <= hvcC.length) return hvcC.subarray(at + 2, at + 2 + len);
			at += 2 + len;
		}
	}
	return undefined;
}

/** Picture size of an H.264 / H.265 decoder configuration record, or undefined when it has no readable SPS. */
export function pictureSize(codec: 'h264' | 'h265', config: Buffer): PictureSize | undefined {
	try {
		const sps = codec === 'h264' ? avcCSps(config) : hvcCSps(config);
		if (!sps) return undefined;
		return codec === 'h264' ? h264SpsSize(sps) : h265SpsSize(sps);
	} catch {
		return undefined;
	}
}

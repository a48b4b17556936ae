// HEVCDecoderConfigurationRecord ("hvcC", ISO/IEC 14496-15 §8.3.3): the H.265
// decoder configuration carried in MP4 sample entries. Pure functions.
import { H265_NAL } from './nal';

export interface HevcConfig {
	generalProfileSpace: number;
	generalTierFlag: number;
	generalProfileIdc: number;
	generalLevelIdc: number;
	/** Size in bytes of each NAL length prefix in samples (1, 2 or 4). */
	nalLengthSize: number;
	vps: Buffer[];
	sps: Buffer[];
	pps: Buffer[];
	/** Other arrays (e.g. SEI), by NAL unit type. */
	other: { type: number; nals: Buffer[] }[];
}

export function parseHvcC(buf: Buffer): HevcConfig {
	if (buf.length < 23) throw new Error('hvcC too short');
	if (buf[0] !== 1) throw new Error(`hvcC: unsupported configurationVersion ${buf[0]}`);
	const nalLengthSize = (buf[21] & 0x03) + 1;
	if (nalLengthSize === 3) throw new Error('hvcC: NAL length size 3 is invalid');
	const cfg: HevcConfig = {
		generalProfileSpace: buf[1] >> 6,
		generalTierFlag: (buf[1] >> 5) & 1,
		generalProfileIdc: buf[1] & 0x1f,
		generalLevelIdc: buf[12],
		nalLengthSize,
		vps: [],
		sps: [],
		pps: [],
		other: []
	};
	const arrays = buf[22];
	let off = 23;
	for (let a = 0; a < arrays; a++) {
		if (off + 3 > buf.length) throw new Error('hvcC: truncated array header');
		const type = buf[off] & 0x3f;
		const count = buf.readUInt16BE(off + 1);
		off += 3;
		const nals: Buffer[] = [];
		for (let i = 0; i < count; i++) {
			if (off + 2 > buf.length) throw new Error('hvcC: truncated NAL length');
			const len = buf.readUInt16BE(off);
			off += 2;
			if (off + len > buf.length) throw new Error('hvcC: truncated NAL');
			nals.push(Buffer.from(buf.subarray(off, off + len)));
			off += len;
		}
		if (type === H265_NAL.VPS) cfg.vps.push(...nals);
		else if (type === H265_NAL.SPS) cfg.sps.push(...nals);
		else if (type === H265_NAL.PPS) cfg.pps.push(...nals);
		else cfg.other.push({ type, nals });
	}
	return cfg;
}

/** RFC 7798 fmtp parameters describing an hvcC's stream (profile-id, tier-flag, level-id). */
export function hevcFmtp(cfg: HevcConfig): string {
	return `profile-id=${cfg.generalProfileIdc};tier-flag=${cfg.generalTierFlag};level-id=${cfg.generalLevelIdc}`;
}

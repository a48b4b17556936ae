// AVCDecoderConfigurationRecord ("avcC", ISO/IEC 14496-15 §5.3.3): the H.264
// decoder configuration carried in MP4 sample entries. Pure functions.

export interface AvcConfig {
	/** AVCProfileIndication, profile_compatibility, AVCLevelIndication. */
	profileIdc: number;
	profileCompatibility: number;
	levelIdc: number;
	/** Size in bytes of each NAL length prefix in samples (1, 2 or 4). */
	nalLengthSize: number;
	sps: Buffer[];
	pps: Buffer[];
	/** RFC 6184 profile-level-id: 6 lower-case hex digits, e.g. "42c01f" (taken from the first SPS when present). */
	profileLevelId: string;
}

export function parseAvcC(buf: Buffer): AvcConfig {
	if (buf.length < 7) throw new Error('avcC too short');
	if (buf[0] !== 1) throw new Error(`avcC: unsupported configurationVersion ${buf[0]}`);
	const nalLengthSize = (buf[4] & 0x03) + 1;
	if (nalLengthSize === 3) throw new Error('avcC: NAL length size 3 is invalid');
	let off = 5;
	const readList = (count: number): Buffer[] => {
		const list: Buffer[] = [];
		for (let i = 0; i < count; i++) {
			if (off + 2 > buf.length) throw new Error('avcC: truncated parameter set length');
			const len = buf.readUInt16BE(off);
			off += 2;
			if (off + len > buf.length) throw new Error('avcC: truncated parameter set');
			list.push(Buffer.from(buf.subarray(off, off + len)));
			off += len;
		}
		return list;
	};
	const sps = readList(buf[off++] & 0x1f);
	if (off >= buf.length) throw new Error('avcC: missing PPS count');
	const pps = readList(buf[off++]);
	const src = sps[0] && sps[0].length >= 4 ? sps[0].subarray(1, 4) : buf.subarray(1, 4);
	return {
		profileIdc: buf[1],
		profileCompatibility: buf[2],
		levelIdc: buf[3],
		nalLengthSize,
		sps,
		pps,
		profileLevelId: Buffer.from(src).toString('hex')
	};
}

/** Build an avcC record from SPS and PPS NAL units (4-byte NAL lengths). */
export function buildAvcC(sps: Buffer[], pps: Buffer[], nalLengthSize = 4): Buffer {
	if (!sps.length || sps[0].length < 4) throw new Error('avcC needs an SPS');
	const parts: Buffer[] = [Buffer.from([1, sps[0][1], sps[0][2], sps[0][3], 0xfc | (nalLengthSize - 1), 0xe0 | sps.length])];
	const withLen = (nal: Buffer) => {
		const l = Buffer.alloc(2);
		l.writeUInt16BE(nal.length);
		parts.push(l, nal);
	};
	sps.forEach(withLen);
	parts.push(Buffer.from([pps.length]));
	pps.forEach(withLen);
	return Buffer.concat(parts);
}

export type H264Profile =
	| 'constrained-baseline'
	| 'baseline'
	| 'main'
	| 'extended'
	| 'high'
	| 'constrained-high'
	| 'high10'
	| 'high422'
	| 'high444'
	| 'unknown';

/**
 * The H.264 profile a profile-level-id names, from profile_idc and the
 * constraint_set flags (profile-iop), as RFC 6184 §8.1 and WebRTC compare
 * them: two offers match when they name the same profile (levels may differ).
 */
export function h264ProfileOf(profileLevelId: string): H264Profile {
	if (!/^[0-9a-f]{6}$/i.test(profileLevelId)) return 'unknown';
	const idc = parseInt(profileLevelId.slice(0, 2), 16);
	const iop = parseInt(profileLevelId.slice(2, 4), 16);
	const cs = (n: number) => (iop & (0x80 >> n)) !== 0;
	switch (idc) {
		case 0x42:
			return cs(1) ? 'constrained-baseline' : 'baseline';
		case 0x4d:
			return cs(0) ? 'constrained-baseline' : 'main';
		case 0x58:
			if (cs(0) && cs(1)) return 'constrained-baseline';
			return cs(0) ? 'baseline' : 'extended';
		case 0x64:
			return cs(4) && cs(5) ? 'constrained-high' : 'high';
		case 0x6e:
			return 'high10';
		case 0x7a:
			return 'high422';
		case 0xf4:
			return 'high444';
		default:
			return 'unknown';
	}
}

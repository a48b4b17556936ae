// AAC over RTP as RFC 3640 "mpeg4-generic" (what RTSP cameras, ffmpeg and
// GStreamer use): mode AAC-hbr (13-bit AU sizes, 3-bit indices) to send, any
// size/index lengths to receive (AAC-lbr is 6/2/2). A packet holds an
// AU-headers section (16-bit length in bits, then one header per access unit)
// and the access units (raw AAC frames); an AU too large for one packet is
// split over several, each with the same header, the marker on the last.
// No auxiliary section, no interleaving. Pure code.
import type { RtpPayload } from './packet';

export interface AuHeaderFormat {
	sizeLength: number;
	indexLength: number;
	indexDeltaLength: number;
}

export const AAC_HBR: AuHeaderFormat = { sizeLength: 13, indexLength: 3, indexDeltaLength: 3 };

/** The a=fmtp parameters of an AAC track (AudioSpecificConfig as hex). */
export function aacFmtp(asc: Buffer, format: AuHeaderFormat = AAC_HBR): string {
	return (
		`profile-level-id=1;mode=AAC-hbr;sizelength=${format.sizeLength};indexlength=${format.indexLength};` +
		`indexdeltalength=${format.indexDeltaLength};config=${asc.toString('hex')}`
	);
}

/** The AU header format and AudioSpecificConfig from a=fmtp parameters (keys lower-cased); undefined if unusable. */
export function parseAacFmtp(fmtp: Record<string, string>): { format: AuHeaderFormat; config: Buffer } | undefined {
	const num = (k: string, d: number) => {
		const v = fmtp[k];
		return v === undefined || v === '' ? d : /^\d{1,2}$/.test(v) ? Number(v) : NaN;
	};
	const mode = (fmtp.mode ?? '').toLowerCase();
	const lbr = mode === 'aac-lbr';
	const format = { sizeLength: num('sizelength', lbr ? 6 : 13), indexLength: num('indexlength', lbr ? 2 : 3), indexDeltaLength: num('indexdeltalength', lbr ? 2 : 3) };
	if (!(format.sizeLength >= 1 && format.sizeLength <= 16) || !(format.indexLength <= 8) || !(format.indexDeltaLength <= 8)) return undefined;
	const hex = fmtp.config ?? '';
	if (!/^([0-9a-f]{2})+$/i.test(hex)) return undefined;
	return { format, config: Buffer.from(hex, 'hex') };
}

/**
 * One AAC frame (access unit) as RTP payloads (AAC-hbr): one packet when it
 * fits in `maxPayload`, fragments otherwise; marker on the last. An AU larger
 * than the 13-bit size field can say (8191 bytes; AAC frames are far smaller) is dropped.
 */
export function packetizeAac(frame: Buffer, maxPayload = 1200): RtpPayload[] {
	if (!frame.length || frame.length > 0x1fff || maxPayload < 8) return [];
	const header = Buffer.from([0x00, 0x10, frame.length >> 5, (frame.length & 0x1f) << 3]);
	const room = maxPayload - header.length;
	const out: RtpPayload[] = [];
	for (let off = 0; off < frame.length; off += room) {
		const chunk = frame.subarray(off, Math.min(off + room, frame.length));
		const p = Buffer.allocUnsafe(header.length + chunk.length);
		header.copy(p, 0);
		chunk.copy(p, header.length);
		out.push({ payload: p, marker: off + room >= frame.length });
	}
	return out;
}

/**
 * The receiving side: payloads in sequence order in, whole AAC frames out
 * (several per packet when aggregated; one after its last fragment when
 * fragmented). Malformed payloads are dropped, never thrown.
 */
export class AacDepacketizer {
	private fragments: Buffer[] | null = null;
	private fragmentSize = 0;
	private fragmentHave = 0;
	private lastSeq: number | null = null;

	constructor(readonly format: AuHeaderFormat = AAC_HBR) {}

	push(payload: Buffer, marker: boolean, seq?: number): Buffer[] {
		if (seq !== undefined) {
			// A lost packet loses the AU being reassembled.
			if (this.lastSeq !== null && seq !== ((this.lastSeq + 1) & 0xffff)) this.fragments = null;
			this.lastSeq = seq;
		}
		if (payload.length < 2) return [];
		const headerBits = payload.readUInt16BE(0);
		const headerBytes = (headerBits + 7) >> 3;
		if (!headerBits || 2 + headerBytes > payload.length) return this.drop();
		const { sizeLength, indexLength, indexDeltaLength } = this.format;
		const sizes: number[] = [];
		let bit = 0;
		const read = (n: number) => {
			let v = 0;
			for (let i = 0; i < n; i++, bit++) v = (v << 1) | ((payload[2 + (bit >> 3)] >> (7 - (bit & 7))) & 1);
			return v;
		};
		while (bit + sizeLength <= headerBits && sizes.length < 64) {
			sizes.push(read(sizeLength));
			read(sizes.length === 1 ? indexLength : indexDeltaLength);
		}
		if (!sizes.length) return this.drop();
		const data = payload.subarray(2 + headerBytes);
		const total = sizes.reduce((a, b) => a + b, 0);
		if (sizes.length === 1 && sizes[0] > data.length) {
			// A fragment of an AU that spans packets.
			if (!this.fragments || this.fragmentSize !== sizes[0]) {
				this.fragments = [];
				this.fragmentSize = sizes[0];
				this.fragmentHave = 0;
			}
			this.fragments.push(Buffer.from(data));
			this.fragmentHave += data.length;
			if (this.fragmentHave > this.fragmentSize) return this.drop();
			if (this.fragmentHave === this.fragmentSize || marker) {
				const whole = Buffer.concat(this.fragments);
				const complete = this.fragmentHave === this.fragmentSize;
				this.fragments = null;
				return complete ? [whole] : [];
			}
			return [];
		}
		this.fragments = null;
		if (total > data.length) return [];
		const out: Buffer[] = [];
		let off = 0;
		for (const size of sizes) {
			if (size) out.push(Buffer.from(data.subarray(off, off + size)));
			off += size;
		}
		return out;
	}

	private drop(): Buffer[] {
		this.fragments = null;
		return [];
	}
}

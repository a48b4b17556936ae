// H.264 RTP payload format, RFC 6184, packetization-mode=1 (non-interleaved):
// single NAL unit packets, STAP-A aggregates of small NAL units, and FU-A
// fragments of large ones. Pure code.
import { H264_NAL, h264NalType } from '../h264/nal';
import type { RtpPayload } from './packet';

export const DEFAULT_MAX_PAYLOAD = 1200;

export interface H264PacketizerOptions {
	/** Largest RTP payload to produce; 1200 leaves room for SRTP under a 1400-byte MTU. */
	maxPayload?: number;
	/** Parameter sets (from avcC) prepended to every IDR access unit that doesn't carry its own. */
	sps?: Buffer[];
	pps?: Buffer[];
}

export class H264Packetizer {
	readonly maxPayload: number;
	private sps: Buffer[];
	private pps: Buffer[];

	constructor(opts: H264PacketizerOptions = {}) {
		this.maxPayload = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
		if (this.maxPayload < 16) throw new Error('maxPayload too small');
		this.sps = opts.sps ?? [];
		this.pps = opts.pps ?? [];
	}

	setParameterSets(sps: Buffer[], pps: Buffer[]): void {
		this.sps = sps;
		this.pps = pps;
	}

	/**
	 * Packetize one access unit (all NAL units of one picture, one RTP
	 * timestamp). The marker bit is set on its last packet. AUD and filler NAL
	 * units are dropped. In-band SPS/PPS replace the stored ones; an IDR access
	 * unit without them gets the stored ones first, so a viewer joining at any
	 * IDR (or Janus's keyframe buffer) can decode.
	 */
	packetize(nals: Buffer[]): RtpPayload[] {
		const kept = nals.filter((n) => n.length > 0 && h264NalType(n) !== H264_NAL.AUD && h264NalType(n) !== 12);
		const sps = kept.filter((n) => h264NalType(n) === H264_NAL.SPS);
		const pps = kept.filter((n) => h264NalType(n) === H264_NAL.PPS);
		if (sps.length) this.sps = sps.map((n) => Buffer.from(n));
		if (pps.length) this.pps = pps.map((n) => Buffer.from(n));
		const hasIdr = kept.some((n) => h264NalType(n) === H264_NAL.IDR);
		let units = kept;
		if (hasIdr && (!sps.length || !pps.length)) {
			const rest = kept.filter((n) => h264NalType(n) !== H264_NAL.SPS && h264NalType(n) !== H264_NAL.PPS);
			units = [...this.sps, ...this.pps, ...rest];
		}
		const out: RtpPayload[] = [];
		let i = 0;
		while (i < units.length) {
			// Aggregate a run of small NAL units into one STAP-A when two or more fit.
			let size = 1;
			let j = i;
			while (j < units.length && size + 2 + units[j].length <= this.maxPayload) {
				size += 2 + units[j].length;
				j++;
			}
			if (j - i >= 2) {
				out.push({ payload: stapA(units.slice(i, j)), marker: false });
				i = j;
				continue;
			}
			const nal = units[i++];
			if (nal.length <= this.maxPayload) out.push({ payload: nal, marker: false });
			else out.push(...fuA(nal, this.maxPayload));
		}
		if (out.length) out[out.length - 1].marker = true;
		return out;
	}
}

function stapA(nals: Buffer[]): Buffer {
	let nri = 0;
	for (const n of nals) nri = Math.max(nri, n[0] & 0x60);
	const out = Buffer.allocUnsafe(1 + nals.reduce((s, n) => s + 2 + n.length, 0));
	out[0] = nri | H264_NAL.STAP_A;
	let off = 1;
	for (const n of nals) {
		out.writeUInt16BE(n.length, off);
		out.set(n, off + 2);
		off += 2 + n.length;
	}
	return out;
}

function fuA(nal: Buffer, maxPayload: number): RtpPayload[] {
	const indicator = (nal[0] & 0xe0) | H264_NAL.FU_A;
	const type = nal[0] & 0x1f;
	const chunk = maxPayload - 2;
	const out: RtpPayload[] = [];
	for (let off = 1; off < nal.length; off += chunk) {
		const end = Math.min(off + chunk, nal.length);
		const p = Buffer.allocUnsafe(2 + end - off);
		p[0] = indicator;
		p[1] = (off === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
		nal.copy(p, 2, off, end);
		out.push({ payload: p, marker: false });
	}
	return out;
}

/**
 * The receiving side of RFC 6184 (single NAL, STAP-A, FU-A): feed payloads in
 * sequence order, get whole NAL units back. With sequence numbers given, a
 * lost fragment drops its NAL.
 */
export class H264Depacketizer {
	private fu: Buffer[] | null = null;
	private lastSeq: number | null = null;

	/** `seq` (the packet's RTP sequence number), when given, detects a lost fragment. */
	push(payload: Buffer, seq?: number): Buffer[] {
		if (seq !== undefined) {
			if (this.lastSeq !== null && seq !== ((this.lastSeq + 1) & 0xffff)) this.fu = null;
			this.lastSeq = seq;
		}
		if (!payload.length) return [];
		const type = payload[0] & 0x1f;
		if (type >= 1 && type <= 23) {
			this.fu = null;
			return [Buffer.from(payload)];
		}
		if (type === H264_NAL.STAP_A) {
			this.fu = null;
			const nals: Buffer[] = [];
			for (let off = 1; off + 2 <= payload.length; ) {
				const len = payload.readUInt16BE(off);
				if (off + 2 + len > payload.length) throw new Error('STAP-A NAL runs past the payload');
				nals.push(Buffer.from(payload.subarray(off + 2, off + 2 + len)));
				off += 2 + len;
			}
			return nals;
		}
		if (type === H264_NAL.FU_A) {
			if (payload.length < 2) return [];
			const start = (payload[1] & 0x80) !== 0;
			const end = (payload[1] & 0x40) !== 0;
			if (start) this.fu = [Buffer.from([(payload[0] & 0xe0) | (payload[1] & 0x1f)])];
			if (!this.fu) return [];
			this.fu.push(Buffer.from(payload.subarray(2)));
			if (!end) return [];
			const nal = Buffer.concat(this.fu);
			this.fu = null;
			return [nal];
		}
		throw new Error(`unsupported H.264 RTP payload type ${type}`);
	}
}

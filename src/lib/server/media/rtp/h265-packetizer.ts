// H.265 RTP payload format, RFC 7798 (no DONL, sprop-max-don-diff=0):
// single NAL unit packets, aggregation packets (AP, type 48) of small NAL
// units and fragmentation units (FU, type 49) of large ones. Pure code.
import { H265_NAL, h265IsIrap, h265NalType } from '../h264/nal';
import type { RtpPayload } from './packet';
import { DEFAULT_MAX_PAYLOAD } from './h264-packetizer';

export interface H265PacketizerOptions {
	maxPayload?: number;
	/** Parameter sets (from hvcC) prepended to every IRAP access unit that doesn't carry its own. */
	vps?: Buffer[];
	sps?: Buffer[];
	pps?: Buffer[];
}

export class H265Packetizer {
	readonly maxPayload: number;
	private ps: { vps: Buffer[]; sps: Buffer[]; pps: Buffer[] };

	constructor(opts: H265PacketizerOptions = {}) {
		this.maxPayload = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
		if (this.maxPayload < 16) throw new Error('maxPayload too small');
		this.ps = { vps: opts.vps ?? [], sps: opts.sps ?? [], pps: opts.pps ?? [] };
	}

	/** Packetize one access unit; marker on its last packet; AUDs dropped; parameter sets prepended to IRAPs. */
	packetize(nals: Buffer[]): RtpPayload[] {
		const kept = nals.filter((n) => n.length >= 2 && h265NalType(n) !== H265_NAL.AUD);
		const of = (t: number) => kept.filter((n) => h265NalType(n) === t);
		const [vps, sps, pps] = [of(H265_NAL.VPS), of(H265_NAL.SPS), of(H265_NAL.PPS)];
		if (vps.length) this.ps.vps = vps.map((n) => Buffer.from(n));
		if (sps.length) this.ps.sps = sps.map((n) => Buffer.from(n));
		if (pps.length) this.ps.pps = pps.map((n) => Buffer.from(n));
		let units = kept;
		if (kept.some((n) => h265IsIrap(h265NalType(n))) && (!vps.length || !sps.length || !pps.length)) {
			const isPs = (n: Buffer) => [H265_NAL.VPS, H265_NAL.SPS, H265_NAL.PPS].includes(h265NalType(n) as 32 | 33 | 34);
			units = [...this.ps.vps, ...this.ps.sps, ...this.ps.pps, ...kept.filter((n) => !isPs(n))];
		}
		const out: RtpPayload[] = [];
		let i = 0;
		while (i < units.length) {
			let size = 2;
			let j = i;
			while (j < units.length && size + 2 + units[j].length <= this.maxPayload) {
				size += 2 + units[j].length;
				j++;
			}
			if (j - i >= 2) {
				out.push({ payload: aggregate(units.slice(i, j)), marker: false });
				i = j;
				continue;
			}
			const nal = units[i++];
			if (nal.length <= this.maxPayload) out.push({ payload: nal, marker: false });
			else out.push(...fragment(nal, this.maxPayload));
		}
		if (out.length) out[out.length - 1].marker = true;
		return out;
	}
}

function aggregate(nals: Buffer[]): Buffer {
	// F is the OR of the F bits, LayerId and TID the lowest of the aggregated units.
	let f = 0;
	let layer = 63;
	let tid = 7;
	for (const n of nals) {
		f |= n[0] & 0x80;
		layer = Math.min(layer, ((n[0] & 1) << 5) | (n[1] >> 3));
		tid = Math.min(tid, n[1] & 7);
	}
	const out = Buffer.allocUnsafe(2 + nals.reduce((s, n) => s + 2 + n.length, 0));
	out[0] = f | (H265_NAL.AP << 1) | (layer >> 5);
	out[1] = ((layer & 0x1f) << 3) | tid;
	let off = 2;
	for (const n of nals) {
		out.writeUInt16BE(n.length, off);
		out.set(n, off + 2);
		off += 2 + n.length;
	}
	return out;
}

function fragment(nal: Buffer, maxPayload: number): RtpPayload[] {
	const type = h265NalType(nal);
	const h0 = (nal[0] & 0x81) | (H265_NAL.FU << 1);
	const h1 = nal[1];
	const chunk = maxPayload - 3;
	const out: RtpPayload[] = [];
	for (let off = 2; off < nal.length; off += chunk) {
		const end = Math.min(off + chunk, nal.length);
		const p = Buffer.allocUnsafe(3 + end - off);
		p[0] = h0;
		p[1] = h1;
		p[2] = (off === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
		nal.copy(p, 3, off, end);
		out.push({ payload: p, marker: false });
	}
	return out;
}

/** The receiving side of RFC 7798 (single NAL, AP, FU; no DONL). */
export class H265Depacketizer {
	private fu: Buffer[] | null = null;
	private lastSeq: number | null = null;

	/** `seq` (the packet's RTP sequence number), when given, detects a lost fragment. */
	push(payload: Buffer, seq?: number): Buffer[] {
		if (seq !== undefined) {
			if (this.lastSeq !== null && seq !== ((this.lastSeq + 1) & 0xffff)) this.fu = null;
			this.lastSeq = seq;
		}
		if (payload.length < 3) return [];
		const type = (payload[0] >> 1) & 0x3f;
		if (type === H265_NAL.AP) {
			this.fu = null;
			const nals: Buffer[] = [];
			for (let off = 2; off + 2 <= payload.length; ) {
				const len = payload.readUInt16BE(off);
				if (off + 2 + len > payload.length) throw new Error('AP NAL runs past the payload');
				nals.push(Buffer.from(payload.subarray(off + 2, off + 2 + len)));
				off += 2 + len;
			}
			return nals;
		}
		if (type === H265_NAL.FU) {
			const start = (payload[2] & 0x80) !== 0;
			const end = (payload[2] & 0x40) !== 0;
			if (start) this.fu = [Buffer.from([(payload[0] & 0x81) | ((payload[2] & 0x3f) << 1), payload[1]])];
			if (!this.fu) return [];
			this.fu.push(Buffer.from(payload.subarray(3)));
			if (!end) return [];
			const nal = Buffer.concat(this.fu);
			this.fu = null;
			return [nal];
		}
		this.fu = null;
		return [Buffer.from(payload)];
	}
}

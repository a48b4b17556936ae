// H.265 RTP payload format, RFC 7798 (no DONL, sprop-max-don-diff=0):
// single NAL unit packets, aggregation packets (AP, type 48) of small NAL
// units and fragmentation units (FU, type 49) of large ones. Pure code.
import { H265_NAL, h265IsIrap, h265NalType } from '../h264/nal';
import type { RtpPayload } from './packet';
import { FragmentJoiner, packetizeNals, splitAggregate, type NalPayloadFormat } from './nal-payload';
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
		return packetizeNals(units, this.maxPayload, H265_FORMAT);
	}
}

const H265_FORMAT: NalPayloadFormat = {
	nalHeaderSize: 2,
	aggregationHeader: (nals) => {
		// F is the OR of the F bits, LayerId and TID the lowest of the aggregated units.
		let f = 0;
		let layer = 63;
		let tid = 7;
		for (const n of nals) {
			f |= n[0] & 0x80;
			layer = Math.min(layer, ((n[0] & 1) << 5) | (n[1] >> 3));
			tid = Math.min(tid, n[1] & 7);
		}
		return Buffer.from([f | (H265_NAL.AP << 1) | (layer >> 5), ((layer & 0x1f) << 3) | tid]);
	},
	fragmentPrefix: (nal) => [(nal[0] & 0x81) | (H265_NAL.FU << 1), nal[1]],
	fragmentType: (nal) => h265NalType(nal)
};

/** The receiving side of RFC 7798 (single NAL, AP, FU; no DONL). */
export class H265Depacketizer {
	private joiner = new FragmentJoiner();

	/** `seq` (the packet's RTP sequence number), when given, detects a lost fragment. */
	push(payload: Buffer, seq?: number): Buffer[] {
		this.joiner.sequence(seq);
		if (payload.length < 3) return [];
		const type = (payload[0] >> 1) & 0x3f;
		if (type === H265_NAL.AP) {
			this.joiner.reset();
			return splitAggregate(payload, 2);
		}
		if (type === H265_NAL.FU) {
			const header = Buffer.from([(payload[0] & 0x81) | ((payload[2] & 0x3f) << 1), payload[1]]);
			return this.joiner.push(payload.subarray(3), (payload[2] & 0x80) !== 0, (payload[2] & 0x40) !== 0, header);
		}
		this.joiner.reset();
		return [Buffer.from(payload)];
	}
}

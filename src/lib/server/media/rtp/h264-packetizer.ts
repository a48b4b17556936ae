// H.264 RTP payload format, RFC 6184, packetization-mode=1 (non-interleaved):
// single NAL unit packets, STAP-A aggregates of small NAL units, and FU-A
// fragments of large ones. Pure code.
import { H264_NAL, h264NalType } from '../h264/nal';
import type { RtpPayload } from './packet';
import { FragmentJoiner, packetizeNals, splitAggregate, type NalPayloadFormat } from './nal-payload';

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
		return packetizeNals(units, this.maxPayload, H264_FORMAT);
	}
}

const H264_FORMAT: NalPayloadFormat = {
	nalHeaderSize: 1,
	// STAP-A's NRI is the highest of its NAL units'.
	aggregationHeader: (nals) => Buffer.from([nals.reduce((nri, n) => Math.max(nri, n[0] & 0x60), 0) | H264_NAL.STAP_A]),
	fragmentPrefix: (nal) => [(nal[0] & 0xe0) | H264_NAL.FU_A],
	fragmentType: (nal) => nal[0] & 0x1f
};

/**
 * The receiving side of RFC 6184 (single NAL, STAP-A, FU-A): feed payloads in
 * sequence order, get whole NAL units back. With sequence numbers given, a
 * lost fragment drops its NAL.
 */
export class H264Depacketizer {
	private joiner = new FragmentJoiner();

	/** `seq` (the packet's RTP sequence number), when given, detects a lost fragment. */
	push(payload: Buffer, seq?: number): Buffer[] {
		this.joiner.sequence(seq);
		if (!payload.length) return [];
		const type = payload[0] & 0x1f;
		if (type >= 1 && type <= 23) {
			this.joiner.reset();
			return [Buffer.from(payload)];
		}
		if (type === H264_NAL.STAP_A) {
			this.joiner.reset();
			return splitAggregate(payload, 1);
		}
		if (type === H264_NAL.FU_A) {
			if (payload.length < 2) return [];
			const header = Buffer.from([(payload[0] & 0xe0) | (payload[1] & 0x1f)]);
			return this.joiner.push(payload.subarray(2), (payload[1] & 0x80) !== 0, (payload[1] & 0x40) !== 0, header);
		}
		throw new Error(`unsupported H.264 RTP payload type ${type}`);
	}
}

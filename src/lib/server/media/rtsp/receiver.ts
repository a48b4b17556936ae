// The receiving end of a published RTP stream: RTP packets in, in sequence
// order, media units out with extended (unwrapped) RTP timestamps. Video:
// NAL units gathered into access units (one RTP timestamp, ended by the marker
// bit or by the next timestamp), with decode times from the stream's
// reordering depth. Audio: AAC frames (RFC 3640) or Opus packets. Malformed
// input is dropped, never thrown, and never buffered without bound.
// Pure code.
import { H264_NAL, H265_NAL, h264NalType, h265IsIrap, h265NalType } from '../h264/nal';
import { H264Depacketizer } from '../rtp/h264-packetizer';
import { H265Depacketizer } from '../rtp/h265-packetizer';
import { AacDepacketizer, type AuHeaderFormat } from '../rtp/aac-packetizer';
import { opusPacketSamples } from '../rtp/opus-packetizer';
import type { RtpPacket } from '../rtp/packet';

/** A 32-bit RTP timestamp made monotonic-ish: steps are read as signed 32-bit differences. */
export class TimestampUnwrapper {
	private last?: number;
	private ext = 0;

	push(ts: number): number {
		if (this.last === undefined) {
			this.last = ts >>> 0;
			this.ext = this.last;
			return this.ext;
		}
		const diff = ((ts - this.last) << 0) | 0;
		this.last = ts >>> 0;
		this.ext += diff;
		return this.ext;
	}
}

export interface AccessUnit {
	nals: Buffer[];
	/** Presentation time: the unwrapped RTP timestamp. */
	pts: number;
	keyframe: boolean;
}

const MAX_AU_BYTES = 16 * 1024 * 1024;
const MAX_AU_NALS = 4096;

export class VideoReceiver {
	private dep: H264Depacketizer | H265Depacketizer;
	private clock = new TimestampUnwrapper();
	private au: { ts: number; pts: number; nals: Buffer[]; bytes: number } | null = null;
	/** Payload bytes given to the depacketizer since it last produced a NAL unit (an unfinished fragment). */
	private pendingBytes = 0;

	constructor(readonly codec: 'h264' | 'h265') {
		this.dep = this.newDepacketizer();
	}

	private newDepacketizer() {
		return this.codec === 'h264' ? new H264Depacketizer() : new H265Depacketizer();
	}

	push(pkt: RtpPacket): AccessUnit[] {
		const out: AccessUnit[] = [];
		const { timestamp, sequenceNumber, marker } = pkt.header;
		if (this.au && this.au.ts !== timestamp) this.flush(out);
		if (!this.au) this.au = { ts: timestamp, pts: this.clock.push(timestamp), nals: [], bytes: 0 };
		let nals: Buffer[];
		try {
			nals = this.dep.push(pkt.payload, sequenceNumber);
		} catch {
			// Unknown payload type, an aggregation running past its end: drop it and what it belonged to.
			this.dep = this.newDepacketizer();
			this.pendingBytes = 0;
			this.au.nals = [];
			this.au.bytes = 0;
			nals = [];
		}
		if (nals.length) this.pendingBytes = 0;
		else if ((this.pendingBytes += pkt.payload.length) > MAX_AU_BYTES) {
			this.dep = this.newDepacketizer();
			this.pendingBytes = 0;
		}
		for (const n of nals) {
			if (!n.length) continue;
			this.au.nals.push(n);
			this.au.bytes += n.length;
		}
		if (this.au.bytes > MAX_AU_BYTES || this.au.nals.length > MAX_AU_NALS) {
			this.au.nals = [];
			this.au.bytes = 0;
		}
		if (marker) this.flush(out);
		return out;
	}

	private flush(out: AccessUnit[]) {
		const au = this.au;
		this.au = null;
		if (!au || !au.nals.length) return;
		const keyframe =
			this.codec === 'h264' ? au.nals.some((n) => h264NalType(n) === H264_NAL.IDR) : au.nals.some((n) => n.length >= 2 && h265IsIrap(h265NalType(n)));
		out.push({ nals: au.nals, pts: au.pts, keyframe });
	}
}

/** NAL types that are parameter sets, by codec. */
export function isParameterSet(codec: 'h264' | 'h265', nal: Buffer): 'vps' | 'sps' | 'pps' | undefined {
	if (codec === 'h264') {
		const t = h264NalType(nal);
		return t === H264_NAL.SPS ? 'sps' : t === H264_NAL.PPS ? 'pps' : undefined;
	}
	if (nal.length < 2) return undefined;
	const t = h265NalType(nal);
	return t === H265_NAL.VPS ? 'vps' : t === H265_NAL.SPS ? 'sps' : t === H265_NAL.PPS ? 'pps' : undefined;
}

export interface AudioFrame {
	data: Buffer;
	/** Unwrapped RTP timestamp. */
	pts: number;
}

export class AacReceiver {
	private dep: AacDepacketizer;
	private clock = new TimestampUnwrapper();

	/** `frameSamples`: samples per AAC frame at the RTP clock (1024 for AAC-LC). */
	constructor(
		format: AuHeaderFormat,
		readonly frameSamples = 1024
	) {
		this.dep = new AacDepacketizer(format);
	}

	push(pkt: RtpPacket): AudioFrame[] {
		const ts = this.clock.push(pkt.header.timestamp);
		const frames = this.dep.push(pkt.payload, pkt.header.marker, pkt.header.sequenceNumber);
		return frames.map((data, i) => ({ data, pts: ts + i * this.frameSamples }));
	}
}

export class OpusReceiver {
	private clock = new TimestampUnwrapper();

	push(pkt: RtpPacket): AudioFrame[] {
		const ts = this.clock.push(pkt.header.timestamp);
		return opusPacketSamples(pkt.payload) > 0 ? [{ data: Buffer.from(pkt.payload), pts: ts }] : [];
	}
}

/**
 * Decode times for video frames that arrive in decode order with only their
 * presentation times (RTP carries no DTS). With a reordering depth of D
 * frames, frame i's DTS is the (i−D)-th smallest PTS seen (the first D frames
 * extrapolate backwards one frame duration each): no delay, DTS ≤ PTS, and
 * DTS = PTS when D is 0. A frame that shows the depth was too small raises
 * it; DTS always strictly increases.
 */
export class DtsEstimator {
	private pool: number[] = [];
	private count = 0;
	private lastDts?: number;
	private grownAt = -Infinity;

	constructor(
		public depth: number,
		/** A frame duration in the same units, to extrapolate the first frames. */
		readonly frameDuration: number
	) {}

	push(pts: number): number {
		// Too shallow: grow once, then give the frames already misplaced by it time to pass.
		if (this.lastDts !== undefined && pts < this.lastDts && this.depth < 16 && this.count - this.grownAt > this.depth + 1) {
			this.depth++;
			this.grownAt = this.count;
		}
		// Insert into the sorted pool.
		let i = this.pool.length;
		while (i > 0 && this.pool[i - 1] > pts) i--;
		this.pool.splice(i, 0, pts);
		const index = this.count++;
		let dts: number;
		if (index < this.depth || this.pool.length <= this.depth) dts = this.pool[0] - (this.depth - Math.min(index, this.depth - 1)) * this.frameDuration;
		else dts = this.pool.shift()!;
		if (this.lastDts !== undefined && dts <= this.lastDts) dts = this.lastDts + 1;
		this.lastDts = dts;
		return dts;
	}
}

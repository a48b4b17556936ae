// RTP fixed header (RFC 3550 §5.1): serialize, parse, and a per-stream writer
// that owns SSRC, sequence number and timestamp offset. Pure code.
import { randomBytes } from 'node:crypto';

export interface RtpHeader {
	payloadType: number;
	marker: boolean;
	sequenceNumber: number;
	timestamp: number;
	ssrc: number;
	csrcs?: number[];
	/** One-byte/two-byte header extension block, when present (profile + raw data). */
	extension?: { profile: number; data: Buffer };
	/** Bytes of padding at the end (P bit). */
	padding?: number;
}

export interface RtpPacket {
	header: RtpHeader;
	payload: Buffer;
}

/** One RTP payload of a codec packetizer: the bytes after the header and the marker bit. */
export interface RtpPayload {
	payload: Buffer;
	marker: boolean;
}

export function serializeRtp(header: RtpHeader, payload: Uint8Array): Buffer {
	const csrcs = header.csrcs ?? [];
	const extLen = header.extension ? 4 + header.extension.data.length : 0;
	if (header.extension && header.extension.data.length % 4) throw new Error('RTP extension data must be a multiple of 4 bytes');
	const out = Buffer.allocUnsafe(12 + csrcs.length * 4 + extLen + payload.length);
	out[0] = 0x80 | (header.extension ? 0x10 : 0) | csrcs.length;
	out[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
	out.writeUInt16BE(header.sequenceNumber & 0xffff, 2);
	out.writeUInt32BE(header.timestamp >>> 0, 4);
	out.writeUInt32BE(header.ssrc >>> 0, 8);
	let off = 12;
	for (const c of csrcs) {
		out.writeUInt32BE(c >>> 0, off);
		off += 4;
	}
	if (header.extension) {
		out.writeUInt16BE(header.extension.profile, off);
		out.writeUInt16BE(header.extension.data.length / 4, off + 2);
		out.set(header.extension.data, off + 4);
		off += extLen;
	}
	out.set(payload, off);
	return out;
}

export function parseRtp(buf: Buffer): RtpPacket {
	if (buf.length < 12) throw new Error('RTP packet too short');
	if (buf[0] >> 6 !== 2) throw new Error('not RTP version 2');
	const cc = buf[0] & 0x0f;
	let off = 12 + cc * 4;
	if (off > buf.length) throw new Error('RTP CSRC list truncated');
	const header: RtpHeader = {
		payloadType: buf[1] & 0x7f,
		marker: (buf[1] & 0x80) !== 0,
		sequenceNumber: buf.readUInt16BE(2),
		timestamp: buf.readUInt32BE(4),
		ssrc: buf.readUInt32BE(8)
	};
	if (cc) header.csrcs = Array.from({ length: cc }, (_, i) => buf.readUInt32BE(12 + i * 4));
	if (buf[0] & 0x10) {
		if (off + 4 > buf.length) throw new Error('RTP extension truncated');
		const profile = buf.readUInt16BE(off);
		const len = buf.readUInt16BE(off + 2) * 4;
		if (off + 4 + len > buf.length) throw new Error('RTP extension truncated');
		header.extension = { profile, data: Buffer.from(buf.subarray(off + 4, off + 4 + len)) };
		off += 4 + len;
	}
	let end = buf.length;
	if (buf[0] & 0x20) {
		const pad = buf[buf.length - 1];
		if (pad === 0 || off + pad > buf.length) throw new Error('bad RTP padding');
		header.padding = pad;
		end -= pad;
	}
	return { header, payload: buf.subarray(off, end) };
}

/**
 * The sending side of one RTP stream: a random SSRC, a random initial sequence
 * number and a random timestamp offset (RFC 3550 §5.1), as the RFC asks.
 */
export class RtpWriter {
	readonly ssrc: number;
	private seq: number;
	private readonly tsOffset: number;

	constructor(
		public payloadType: number,
		opts: { ssrc?: number; initialSequence?: number; timestampOffset?: number } = {}
	) {
		const r = randomBytes(10);
		this.ssrc = opts.ssrc ?? r.readUInt32BE(0);
		this.seq = opts.initialSequence ?? r.readUInt16BE(4);
		this.tsOffset = opts.timestampOffset ?? r.readUInt32BE(6);
	}

	/** The next sequence number this writer will use. */
	get nextSequence(): number {
		return this.seq;
	}

	/** Serialize one packet; `timestamp` is the media clock (e.g. 90 kHz) before the random offset. */
	write(p: RtpPayload, timestamp: number): Buffer {
		const pkt = serializeRtp(
			{ payloadType: this.payloadType, marker: p.marker, sequenceNumber: this.seq, timestamp: (timestamp + this.tsOffset) >>> 0, ssrc: this.ssrc },
			p.payload
		);
		this.seq = (this.seq + 1) & 0xffff;
		return pkt;
	}
}

/** A media time in `timescale` units as a 90 kHz RTP clock value, wrapped to 32 bits. */
export function toRtpClock(time: number, timescale: number, clockRate = 90000): number {
	return Number((BigInt(Math.round(time)) * BigInt(clockRate)) / BigInt(timescale) % 4294967296n) >>> 0;
}

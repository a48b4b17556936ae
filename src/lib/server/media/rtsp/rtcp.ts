// RTCP (RFC 3550 §6): the sender report + SDES CNAME compound packet a sender
// emits every few seconds (it maps RTP time to wall-clock time, which is how
// a receiver lines audio up with video), and a reader for what peers send.
// Pure code.

/** Seconds from 1900 (NTP era 0) to 1970. */
const NTP_UNIX_OFFSET = 2_208_988_800;

export interface SenderReportInfo {
	ssrc: number;
	/** Wall-clock time of `rtpTimestamp`, in milliseconds since 1970. */
	ntpMs: number;
	rtpTimestamp: number;
	packets: number;
	octets: number;
	cname: string;
}

/** SR (no report blocks) followed by SDES with the CNAME: one compound packet. */
export function senderReport(sr: SenderReportInfo): Buffer {
	const cname = Buffer.from(sr.cname.slice(0, 255), 'utf8').subarray(0, 255);
	// SDES chunk: SSRC, CNAME item (type, length, text), END (0), padded to 32 bits.
	const chunkLen = 4 + 2 + cname.length + 1;
	const sdesLen = 4 + Math.ceil(chunkLen / 4) * 4;
	const out = Buffer.alloc(28 + sdesLen);
	out[0] = 0x80;
	out[1] = 200;
	out.writeUInt16BE(6, 2);
	out.writeUInt32BE(sr.ssrc >>> 0, 4);
	const seconds = Math.floor(sr.ntpMs / 1000);
	const fraction = Math.floor(((sr.ntpMs % 1000) / 1000) * 2 ** 32);
	out.writeUInt32BE((seconds + NTP_UNIX_OFFSET) >>> 0, 8);
	out.writeUInt32BE(fraction >>> 0, 12);
	out.writeUInt32BE(sr.rtpTimestamp >>> 0, 16);
	out.writeUInt32BE(sr.packets >>> 0, 20);
	out.writeUInt32BE(sr.octets >>> 0, 24);
	out[28] = 0x81;
	out[29] = 202;
	out.writeUInt16BE(sdesLen / 4 - 1, 30);
	out.writeUInt32BE(sr.ssrc >>> 0, 32);
	out[36] = 1;
	out[37] = cname.length;
	cname.copy(out, 38);
	return out;
}

export interface RtcpPacket {
	type: number;
	ssrc: number;
	/** For sender reports (type 200). */
	sr?: { ntpMs: number; rtpTimestamp: number };
}

/** The packets of a compound RTCP packet (stops at the first malformed one; never throws). */
export function parseRtcp(buf: Buffer): RtcpPacket[] {
	const out: RtcpPacket[] = [];
	let off = 0;
	while (off + 8 <= buf.length && out.length < 32) {
		if (buf[off] >> 6 !== 2) break;
		const type = buf[off + 1];
		const len = (buf.readUInt16BE(off + 2) + 1) * 4;
		if (off + len > buf.length) break;
		const p: RtcpPacket = { type, ssrc: buf.readUInt32BE(off + 4) };
		if (type === 200 && len >= 28) {
			const seconds = buf.readUInt32BE(off + 8) - NTP_UNIX_OFFSET;
			const fraction = buf.readUInt32BE(off + 12) / 2 ** 32;
			p.sr = { ntpMs: (seconds + fraction) * 1000, rtpTimestamp: buf.readUInt32BE(off + 16) };
		}
		out.push(p);
		off += len;
	}
	return out;
}

/** An RTCP packet rather than RTP (RFC 5761 §4: payload types 200-204 in the second byte). */
export const isRtcp = (buf: Buffer) => buf.length >= 2 && buf[1] >= 192 && buf[1] <= 223;

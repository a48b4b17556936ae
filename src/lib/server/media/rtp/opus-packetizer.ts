// Opus RTP payload format, RFC 7587: one whole Opus packet per RTP packet
// (never split or aggregated), timestamps on a 48 kHz clock whatever rate the
// encoder ran at, marker bit 0 (it only flags the first packet after DTX
// silence, which we never produce). Pure code.
import type { RtpPayload } from './packet';

/** The RTP clock rate of Opus (RFC 7587 §4.1). */
export const OPUS_CLOCK_RATE = 48000;

/** The one RTP payload of an Opus packet; none for a packet that isn't valid Opus (RFC 6716 §3). */
export function packetizeOpus(packet: Buffer): RtpPayload[] {
	return opusPacketSamples(packet) > 0 ? [{ payload: packet, marker: false }] : [];
}

// Frame length in 48 kHz samples by TOC config (RFC 6716 §3.1, table 2):
// SILK 0-11 (10/20/40/60 ms), Hybrid 12-15 (10/20 ms), CELT 16-31 (2.5/5/10/20 ms).
const frameSamples = (config: number) =>
	config < 12 ? [480, 960, 1920, 2880][config & 3] : config < 16 ? [480, 960][config & 1] : [120, 240, 480, 960][config & 3];

/**
 * The duration of an Opus packet in 48 kHz samples from its TOC byte (and the
 * frame count byte of code 3), or 0 when it is malformed: empty, a code 3
 * packet without its count, no frames, or more than 120 ms (RFC 6716 §3.2.5).
 */
export function opusPacketSamples(packet: Buffer): number {
	if (packet.length < 1) return 0;
	const code = packet[0] & 3;
	const frames = code === 0 ? 1 : code < 3 ? 2 : packet.length >= 2 ? packet[1] & 0x3f : 0;
	const samples = frames * frameSamples(packet[0] >> 3);
	return samples <= 5760 ? samples : 0;
}

// The server side of the RTMP handshake: C0 C1 → S0 S1 S2 → C2.
//
// Simple form (RTMP spec §5.2): S1 is our time, four zero bytes and random
// bytes; S2 echoes C1. That is all librtmp (OBS), GStreamer and ffmpeg
// publishing need. When C1 carries a Flash Player digest (C1 bytes 4–7 are
// a version, and an HMAC-SHA256 of C1 under the player key sits at one of the
// two known places), the answer is the digest form Flash-era clients check:
// S1 with a digest under the server key, S2 signed with a key derived from
// C1's digest (as nginx-rtmp and ffmpeg's player side compute it).
// Pure: no app imports.
import { createHmac, randomBytes } from 'node:crypto';

export const HANDSHAKE_SIZE = 1536;
export const RTMP_VERSION = 3;

const GENUINE_FP = Buffer.from('Genuine Adobe Flash Player 001', 'latin1');
const GENUINE_FMS = Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1');
const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
/** The player key (first 30 bytes sign C1) and the server key (first 36 bytes sign S1; all 68 derive S2's key). */
export const CLIENT_KEY = Buffer.concat([GENUINE_FP, KEY_TAIL]);
export const SERVER_KEY = Buffer.concat([GENUINE_FMS, KEY_TAIL]);
const SERVER_VERSION = Buffer.from([0x04, 0x05, 0x00, 0x01]);
const DIGEST_SIZE = 32;

export class HandshakeError extends Error {}

const hmac = (key: Buffer, ...data: Buffer[]) => {
	const h = createHmac('sha256', key);
	for (const d of data) h.update(d);
	return h.digest();
};

/** Where the digest sits for a scheme whose offset bytes start at `base` (8 or 772): 4 offset bytes, then the region. */
export function digestOffset(packet: Buffer, base: number): number {
	return ((packet[base] + packet[base + 1] + packet[base + 2] + packet[base + 3]) % 728) + base + 4;
}

/** The HMAC of a packet with its digest bytes left out. */
function packetDigest(packet: Buffer, offset: number, key: Buffer): Buffer {
	return hmac(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_SIZE));
}

/** The offset of a valid digest in C1 (either scheme), or undefined (a simple-handshake client). */
export function findClientDigest(c1: Buffer): number | undefined {
	if (c1.readUInt32BE(4) === 0) return undefined;
	for (const base of [8, 772]) {
		const offset = digestOffset(c1, base);
		if (packetDigest(c1, offset, CLIENT_KEY.subarray(0, 30)).equals(c1.subarray(offset, offset + DIGEST_SIZE))) return offset;
	}
	return undefined;
}

/** S0 + S1 + S2 for a C0 + C1 (1537 bytes). Throws HandshakeError for another version than 3 (e.g. RTMPE's 6). */
export function serverHandshake(c0c1: Buffer, now = Date.now()): Buffer {
	if (c0c1.length < 1 + HANDSHAKE_SIZE) throw new HandshakeError('handshake: C0+C1 too short');
	if (c0c1[0] !== RTMP_VERSION) throw new HandshakeError(`handshake: RTMP version ${c0c1[0]} is not supported (plain RTMP is 3)`);
	const c1 = c0c1.subarray(1, 1 + HANDSHAKE_SIZE);
	const s1 = randomBytes(HANDSHAKE_SIZE);
	s1.writeUInt32BE(Math.floor(now / 1000) >>> 0, 0);
	const clientDigestAt = findClientDigest(c1);
	if (clientDigestAt === undefined) {
		s1.writeUInt32BE(0, 4);
		const s2 = Buffer.from(c1);
		return Buffer.concat([Buffer.from([RTMP_VERSION]), s1, s2]);
	}
	// The digest form, in the scheme the client used.
	const base = clientDigestAt < 772 ? 8 : 772;
	SERVER_VERSION.copy(s1, 4);
	const at = digestOffset(s1, base);
	packetDigest(s1, at, SERVER_KEY.subarray(0, 36)).copy(s1, at);
	const s2 = randomBytes(HANDSHAKE_SIZE);
	const key = hmac(SERVER_KEY, c1.subarray(clientDigestAt, clientDigestAt + DIGEST_SIZE));
	hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE)).copy(s2, HANDSHAKE_SIZE - DIGEST_SIZE);
	return Buffer.concat([Buffer.from([RTMP_VERSION]), s1, s2]);
}

/** A client's C0 + C1 (for tests and tools): simple, or with a player digest in the scheme at `digestBase`. */
export function clientHello(digestBase?: 8 | 772): Buffer {
	const c1 = randomBytes(HANDSHAKE_SIZE);
	c1.writeUInt32BE(0, 0);
	if (digestBase === undefined) {
		c1.writeUInt32BE(0, 4);
	} else {
		Buffer.from([9, 0, 124, 2]).copy(c1, 4);
		const at = digestOffset(c1, digestBase);
		packetDigest(c1, at, CLIENT_KEY.subarray(0, 30)).copy(c1, at);
	}
	return Buffer.concat([Buffer.from([RTMP_VERSION]), c1]);
}

/** Checks a server's S1/S2 the way a digest-checking player does (for tests). */
export function verifyServerHandshake(c1: Buffer, s1: Buffer, s2: Buffer): boolean {
	const clientAt = findClientDigest(c1);
	if (clientAt === undefined) return s2.equals(c1);
	const serverAt = [772, 8].map((b) => digestOffset(s1, b)).find((at) => packetDigest(s1, at, SERVER_KEY.subarray(0, 36)).equals(s1.subarray(at, at + DIGEST_SIZE)));
	if (serverAt === undefined) return false;
	const key = hmac(SERVER_KEY, c1.subarray(clientAt, clientAt + DIGEST_SIZE));
	return hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE)).equals(s2.subarray(HANDSHAKE_SIZE - DIGEST_SIZE));
}

// Generic ISO BMFF (ISO/IEC 14496-12) box reading and writing.
// A box is [size u32][type 4cc] payload, size 1 → a u64 largesize follows the
// type, size 0 → the box runs to the end of its container. Pure: no app imports.

/** A box located inside a buffer; offsets are relative to that buffer. */
export interface Box {
	type: string;
	/** Offset of the size field. */
	start: number;
	/** Offset of the payload (after size, type and any largesize). */
	payload: number;
	/** Offset just past the box. */
	end: number;
}

export interface BoxHeader {
	type: string;
	/** Declared size: 0 means "to the end of the container". */
	size: number;
	/** 8, or 16 with a largesize. */
	headerSize: number;
}

/** Reads four bytes as a 4cc (latin1). */
export function fourcc(buf: Uint8Array, offset: number): string {
	return String.fromCharCode(buf[offset], buf[offset + 1], buf[offset + 2], buf[offset + 3]);
}

/** Reads a big-endian u64 as a number (exact below 2^53). */
export function readU64(buf: Buffer, offset: number): number {
	return buf.readUInt32BE(offset) * 0x1_0000_0000 + buf.readUInt32BE(offset + 4);
}

/**
 * Reads the header of the box at `offset`, or undefined when fewer header bytes
 * than needed are available before `limit`. Throws on a size below the header.
 */
export function readBoxHeader(buf: Buffer, offset: number, limit = buf.length): BoxHeader | undefined {
	if (limit - offset < 8) return undefined;
	const size32 = buf.readUInt32BE(offset);
	const type = fourcc(buf, offset + 4);
	if (size32 === 0) return { type, size: 0, headerSize: 8 };
	if (size32 !== 1) {
		if (size32 < 8) throw new Error(`fMP4: malformed box '${printable(type)}': size ${size32} is below its 8-byte header`);
		return { type, size: size32, headerSize: 8 };
	}
	if (limit - offset < 16) return undefined;
	const size = readU64(buf, offset + 8);
	if (size < 16) throw new Error(`fMP4: malformed box '${printable(type)}': largesize ${size} is below its 16-byte header`);
	return { type, size, headerSize: 16 };
}

/** The boxes laid end to end in buf[start, end). Throws when one overruns `end`. */
export function children(buf: Buffer, start = 0, end = buf.length): Box[] {
	const out: Box[] = [];
	let offset = start;
	while (offset < end) {
		const h = readBoxHeader(buf, offset, end);
		if (!h) throw new Error(`fMP4: truncated box header at offset ${offset}`);
		const boxEnd = h.size === 0 ? end : offset + h.size;
		if (boxEnd > end) throw new Error(`fMP4: box '${printable(h.type)}' (${h.size} bytes) overruns its container`);
		out.push({ type: h.type, start: offset, payload: offset + h.headerSize, end: boxEnd });
		offset = boxEnd;
	}
	return out;
}

/** The child boxes of `parent`, skipping `skip` payload bytes of fixed fields first. */
export function childrenOf(buf: Buffer, parent: Box, skip = 0): Box[] {
	return children(buf, parent.payload + skip, parent.end);
}

/** The first child of `parent` with this type. */
export function child(buf: Buffer, parent: Box, type: string, skip = 0): Box | undefined {
	return childrenOf(buf, parent, skip).find((b) => b.type === type);
}

/** Follows a path of types from `parent` (e.g. 'mdia', 'minf', 'stbl'). */
export function descend(buf: Buffer, parent: Box, ...path: string[]): Box | undefined {
	let box: Box | undefined = parent;
	for (const type of path) {
		box = child(buf, box, type);
		if (!box) return undefined;
	}
	return box;
}

/** A box covering all of `buf` (a pseudo-root to walk top-level boxes with child()). */
export function root(buf: Buffer): Box {
	return { type: '', start: 0, payload: 0, end: buf.length };
}

/** Version and flags of a full box, and the offset of the fields after them. */
export function fullBoxHeader(buf: Buffer, box: Box): { version: number; flags: number; body: number } {
	if (box.end - box.payload < 4) throw new Error(`fMP4: full box '${printable(box.type)}' too short`);
	const word = buf.readUInt32BE(box.payload);
	return { version: word >>> 24, flags: word & 0xffffff, body: box.payload + 4 };
}

/** The bytes of a box (header included). */
export function boxBytes(buf: Buffer, box: Box): Buffer {
	return buf.subarray(box.start, box.end);
}

/** The payload bytes of a box. */
export function payloadBytes(buf: Buffer, box: Box): Buffer {
	return buf.subarray(box.payload, box.end);
}

/** A type with non-printable bytes, shown as hex for error messages. */
export function printable(type: string): string {
	return /^[\x20-\x7e]{4}$/.test(type) ? type : `0x${Buffer.from(type, 'latin1').toString('hex')}`;
}

// ---- writing ----

/** Writes the box header (8 bytes, or 16 with a largesize) for a payload of `payloadSize` bytes. */
export function boxHeader(type: string, payloadSize: number): Buffer {
	if (type.length !== 4) throw new Error(`fMP4: box type must be 4 characters: '${type}'`);
	const small = payloadSize + 8 <= 0xffffffff;
	const h = Buffer.allocUnsafe(small ? 8 : 16);
	if (small) h.writeUInt32BE(payloadSize + 8, 0);
	else h.writeUInt32BE(1, 0);
	h.write(type, 4, 'latin1');
	if (!small) writeU64(h, payloadSize + 16, 8);
	return h;
}

/** A box of this type around the payloads. */
export function box(type: string, ...payloads: Uint8Array[]): Buffer {
	let size = 0;
	for (const p of payloads) size += p.length;
	return Buffer.concat([boxHeader(type, size), ...payloads]);
}

/** A full box: version u8, flags u24, then the payloads. */
export function fullBox(type: string, version: number, flags: number, ...payloads: Uint8Array[]): Buffer {
	return box(type, u32(((version & 0xff) << 24) | (flags & 0xffffff)), ...payloads);
}

export function u8(n: number): Buffer {
	return Buffer.of(n & 0xff);
}

export function u16(n: number): Buffer {
	const b = Buffer.allocUnsafe(2);
	b.writeUInt16BE(n & 0xffff, 0);
	return b;
}

export function u32(n: number): Buffer {
	const b = Buffer.allocUnsafe(4);
	b.writeUInt32BE(n >>> 0, 0);
	return b;
}

export function u64(n: number): Buffer {
	const b = Buffer.allocUnsafe(8);
	writeU64(b, n, 0);
	return b;
}

/** Writes a non-negative number (below 2^53) as a big-endian u64. */
export function writeU64(buf: Buffer, n: number, offset: number): void {
	buf.writeUInt32BE(Math.floor(n / 0x1_0000_0000) >>> 0, offset);
	buf.writeUInt32BE(n >>> 0, offset + 4);
}

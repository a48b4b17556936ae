// RTMP chunk streams (RTMP spec §5.3): messages cut into chunks of at most
// the peer's chunk size, each chunk with a basic header (fmt + chunk stream id,
// 1–3 bytes) and a message header of 11, 7, 3 or 0 bytes (types 0–3), plus an
// extended timestamp when the 24-bit field reads 0xFFFFFF.
// Pure: no app imports.

export class RtmpError extends Error {}

export interface RtmpMessage {
	/** The chunk stream it came on (2 = protocol control). */
	csid: number;
	type: number;
	/** The message stream id (0 = the connection; createStream gives others). */
	streamId: number;
	/** Milliseconds, 32-bit (wraps after about 49.7 days). */
	timestamp: number;
	payload: Buffer;
}

export const MSG = {
	SET_CHUNK_SIZE: 1,
	ABORT: 2,
	ACK: 3,
	USER_CONTROL: 4,
	WINDOW_ACK_SIZE: 5,
	SET_PEER_BANDWIDTH: 6,
	AUDIO: 8,
	VIDEO: 9,
	DATA_AMF3: 15,
	SHARED_OBJECT_AMF3: 16,
	COMMAND_AMF3: 17,
	DATA_AMF0: 18,
	SHARED_OBJECT_AMF0: 19,
	COMMAND_AMF0: 20,
	AGGREGATE: 22
} as const;

export const DEFAULT_CHUNK_SIZE = 128;

export interface ChunkReaderOptions {
	/** Largest chunk size a peer may set (default 64 KiB). */
	maxChunkSize?: number;
	/** Largest message (default 8 MiB). */
	maxMessageSize?: number;
	/** Most chunk streams in use at once (default 64). */
	maxChunkStreams?: number;
	/** Most bytes of unfinished messages (their declared lengths) across all chunk streams (default 16 MiB). */
	maxPendingBytes?: number;
}

interface ChunkStream {
	timestamp: number;
	/** The last header's timestamp field: a delta (types 1, 2) or the absolute time (type 0), reused by type 3. */
	delta: number;
	length: number;
	type: number;
	streamId: number;
	/** The last type 0/1/2 header had an extended timestamp, and its value. */
	extended: boolean;
	extendedValue: number;
	/** The message being assembled (allocated at its declared length), and how much of it is in. */
	payload: Buffer | null;
	received: number;
}

const MESSAGE_HEADER_SIZE = [11, 7, 3, 0];

/**
 * Incremental chunk parser. push() bytes as they come; it answers the
 * messages they completed. Set Chunk Size and Abort take effect here, at
 * once (the next chunk may depend on them), and are answered too. Throws
 * RtmpError on anything malformed or over the limits; the reader is then
 * unusable (close the connection).
 */
export class ChunkReader {
	chunkSize = DEFAULT_CHUNK_SIZE;
	/** Bytes consumed since the start (for acknowledgements). */
	bytesRead = 0;
	private buf: Buffer = Buffer.alloc(0);
	private readonly streams = new Map<number, ChunkStream>();
	private pendingBytes = 0;
	private failed?: RtmpError;
	private readonly maxChunkSize: number;
	private readonly maxMessageSize: number;
	private readonly maxChunkStreams: number;
	private readonly maxPendingBytes: number;

	constructor(options: ChunkReaderOptions = {}) {
		this.maxChunkSize = options.maxChunkSize ?? 64 * 1024;
		this.maxMessageSize = options.maxMessageSize ?? 8 * 1024 * 1024;
		this.maxChunkStreams = options.maxChunkStreams ?? 64;
		this.maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
	}

	push(chunk: Buffer): RtmpMessage[] {
		if (this.failed) throw this.failed;
		const out: RtmpMessage[] = [];
		this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
		let off = 0;
		try {
			for (;;) {
				const used = this.chunk(off, out);
				if (used === 0) break;
				off += used;
			}
		} catch (e) {
			this.failed = e instanceof RtmpError ? e : new RtmpError(String(e));
			this.buf = Buffer.alloc(0);
			throw this.failed;
		}
		this.bytesRead += off;
		// Keep the rest as a copy: the caller may reuse its buffer.
		this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
		return out;
	}

	/** Parses one chunk at `off` if it is all there; its size, or 0 to wait for more. */
	private chunk(off: number, out: RtmpMessage[]): number {
		const b = this.buf;
		const avail = b.length - off;
		if (avail < 1) return 0;
		const fmt = b[off] >> 6;
		let csid = b[off] & 0x3f;
		let p = off + 1;
		if (csid === 0) {
			if (avail < 2) return 0;
			csid = 64 + b[p];
			p += 1;
		} else if (csid === 1) {
			if (avail < 3) return 0;
			csid = 64 + b[p] + b[p + 1] * 256;
			p += 2;
		}
		const headerSize = MESSAGE_HEADER_SIZE[fmt];
		if (b.length < p + headerSize) return 0;

		let cs = this.streams.get(csid);
		if (!cs) {
			if (fmt !== 0) throw new RtmpError(`chunk type ${fmt} on chunk stream ${csid} with no type 0 chunk before it`);
			if (this.streams.size >= this.maxChunkStreams) throw new RtmpError(`more than ${this.maxChunkStreams} chunk streams`);
		}
		let field = 0;
		let length = cs?.length ?? 0;
		let type = cs?.type ?? 0;
		let streamId = cs?.streamId ?? 0;
		if (fmt <= 2) {
			field = b.readUIntBE(p, 3);
			if (fmt <= 1) {
				length = b.readUIntBE(p + 3, 3);
				type = b[p + 6];
			}
			if (fmt === 0) streamId = b.readUInt32LE(p + 7);
		}
		p += headerSize;

		let extended = cs?.extended ?? false;
		let extendedValue = cs?.extendedValue ?? 0;
		if (fmt <= 2) {
			extended = field === 0xffffff;
			if (extended) {
				if (b.length < p + 4) return 0;
				extendedValue = b.readUInt32BE(p);
				field = extendedValue;
				p += 4;
			}
		} else if (extended) {
			// Type 3 after an extended header repeats the extended timestamp (RTMP errata,
			// ffmpeg, librtmp); some encoders leave it out. Take it when it is there.
			if (b.length < p + 4) return 0;
			if (b.readUInt32BE(p) === extendedValue) p += 4;
		}

		const continuing = fmt === 3 && cs?.payload != null;
		if (!continuing && length > this.maxMessageSize) throw new RtmpError(`message of ${length} bytes exceeds the ${this.maxMessageSize}-byte limit`);
		const received = continuing ? cs!.received : 0;
		const n = Math.min(this.chunkSize, length - received);
		if (b.length < p + n) return 0;

		// The whole chunk is here: commit.
		if (!cs) {
			cs = { timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, extendedValue: 0, payload: null, received: 0 };
			this.streams.set(csid, cs);
		}
		if (!continuing) {
			if (cs.payload) this.dropPartial(cs); // a new header mid-message: the old one is abandoned
			if (fmt === 0) cs.timestamp = field;
			else if (fmt === 3) cs.timestamp = (cs.timestamp + cs.delta) >>> 0;
			else cs.timestamp = (cs.timestamp + field) >>> 0;
			if (fmt <= 2) cs.delta = field;
			cs.length = length;
			cs.type = type;
			cs.streamId = streamId;
			cs.extended = extended;
			cs.extendedValue = extendedValue;
			if (this.pendingBytes + length > this.maxPendingBytes) throw new RtmpError(`more than ${this.maxPendingBytes} bytes of unfinished messages`);
			this.pendingBytes += length;
			cs.payload = Buffer.allocUnsafe(length);
			cs.received = 0;
		}
		b.copy(cs.payload!, cs.received, p, p + n);
		cs.received += n;
		p += n;
		if (cs.received === cs.length) {
			const payload = cs.payload!;
			this.pendingBytes -= cs.length;
			cs.payload = null;
			cs.received = 0;
			const msg: RtmpMessage = { csid, type: cs.type, streamId: cs.streamId, timestamp: cs.timestamp, payload };
			this.control(msg);
			out.push(msg);
		}
		return p - off;
	}

	private dropPartial(cs: ChunkStream) {
		this.pendingBytes -= cs.length;
		cs.payload = null;
		cs.received = 0;
	}

	/** Set Chunk Size and Abort change how the next chunks parse. */
	private control(msg: RtmpMessage) {
		if (msg.streamId !== 0 && msg.type <= 2) return;
		if (msg.type === MSG.SET_CHUNK_SIZE) {
			if (msg.payload.length < 4) throw new RtmpError('Set Chunk Size: truncated');
			const size = msg.payload.readUInt32BE(0) & 0x7fffffff;
			if (size < 1 || size > this.maxChunkSize) throw new RtmpError(`Set Chunk Size ${size} is outside 1..${this.maxChunkSize}`);
			this.chunkSize = size;
		} else if (msg.type === MSG.ABORT) {
			if (msg.payload.length < 4) throw new RtmpError('Abort: truncated');
			const cs = this.streams.get(msg.payload.readUInt32BE(0));
			if (cs?.payload) this.dropPartial(cs);
		}
	}
}

function basicHeader(fmt: number, csid: number): Buffer {
	if (csid >= 2 && csid <= 63) return Buffer.from([(fmt << 6) | csid]);
	if (csid >= 64 && csid <= 319) return Buffer.from([fmt << 6, csid - 64]);
	if (csid >= 64 && csid <= 65599) return Buffer.from([(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8]);
	throw new RtmpError(`chunk stream id ${csid} is outside 2..65599`);
}

/**
 * Writes messages as chunks. Like ffmpeg and librtmp, each message's first
 * chunk takes the smallest header the previous message on its chunk stream
 * allows (type 0 on a new stream, a new message stream or a time going
 * backwards; type 1, 2 or 3 otherwise); the rest are type 3.
 */
export class ChunkWriter {
	chunkSize = DEFAULT_CHUNK_SIZE;
	private readonly last = new Map<number, { timestamp: number; delta: number; length: number; type: number; streamId: number }>();

	constructor(private readonly options: { compress?: boolean } = {}) {}

	write(msg: RtmpMessage): Buffer {
		const { csid, type, streamId, payload } = msg;
		const timestamp = msg.timestamp >>> 0;
		if (payload.length > 0xffffff) throw new RtmpError(`message of ${payload.length} bytes does not fit in 24 bits`);
		const prev = this.options.compress === false ? undefined : this.last.get(csid);
		let fmt = 0;
		let field = timestamp;
		if (prev && prev.streamId === streamId && timestamp >= prev.timestamp) {
			const delta = timestamp - prev.timestamp;
			field = delta;
			if (prev.length !== payload.length || prev.type !== type) fmt = 1;
			else if (prev.delta !== delta) fmt = 2;
			else fmt = 3;
		}
		this.last.set(csid, { timestamp, delta: fmt === 0 ? timestamp : field, length: payload.length, type, streamId });
		const ext = field >= 0xffffff;
		const header: Buffer[] = [basicHeader(fmt, csid)];
		if (fmt <= 2) {
			const h = Buffer.alloc(MESSAGE_HEADER_SIZE[fmt]);
			h.writeUIntBE(ext ? 0xffffff : field, 0, 3);
			if (fmt <= 1) {
				h.writeUIntBE(payload.length, 3, 3);
				h[6] = type;
			}
			if (fmt === 0) h.writeUInt32LE(streamId >>> 0, 7);
			header.push(h);
		}
		const extBytes = Buffer.alloc(4);
		extBytes.writeUInt32BE(field >>> 0);
		if (ext && (fmt <= 2 || prevExtended(prev, field))) header.push(extBytes);
		const parts: Buffer[] = [...header];
		let off = 0;
		do {
			const n = Math.min(this.chunkSize, payload.length - off);
			if (off > 0) {
				parts.push(basicHeader(3, csid));
				if (ext) parts.push(extBytes);
			}
			parts.push(payload.subarray(off, off + n));
			off += n;
		} while (off < payload.length);
		return Buffer.concat(parts);
	}
}

/** A type 3 first chunk repeats the extended timestamp when the one it repeats was extended. */
const prevExtended = (prev: { delta: number } | undefined, field: number) => !!prev && prev.delta === field;

/** A one-off message in chunks (type 0, then type 3). */
export function writeMessage(msg: RtmpMessage, chunkSize = DEFAULT_CHUNK_SIZE): Buffer {
	const w = new ChunkWriter({ compress: false });
	w.chunkSize = chunkSize;
	return w.write(msg);
}

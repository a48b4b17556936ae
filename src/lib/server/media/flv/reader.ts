// An incremental FLV byte-stream reader: the file header, then tags. Checks
// each PreviousTagSize, so a stream cut or spliced wrongly is caught at once.
// Pure: no app imports.
import { FlvError } from './tags';

export interface FlvFileHeader {
	version: number;
	audio: boolean;
	video: boolean;
}

export interface FlvTag {
	type: number;
	/** Milliseconds (the 24-bit field with its 8-bit extension). */
	timestamp: number;
	body: Buffer;
}

export type FlvReadEvent = { type: 'header'; header: FlvFileHeader } | { type: 'tag'; tag: FlvTag };

export class FlvReader {
	private buf: Buffer = Buffer.alloc(0);
	private gotHeader = false;
	private lastTagSize = 0;

	constructor(private readonly maxTagSize = 16 * 1024 * 1024) {}

	/** Feed bytes; returns what they completed. Throws FlvError on malformed input. */
	push(chunk: Buffer): FlvReadEvent[] {
		this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
		const events: FlvReadEvent[] = [];
		let off = 0;
		for (;;) {
			if (!this.gotHeader) {
				if (this.buf.length - off < 13) break;
				if (this.buf.toString('latin1', off, off + 3) !== 'FLV') throw new FlvError('FLV: no "FLV" signature');
				const size = this.buf.readUInt32BE(off + 5);
				if (size < 9 || size > 1024) throw new FlvError(`FLV: header size ${size}`);
				if (this.buf.length - off < size + 4) break;
				const flags = this.buf[off + 4];
				events.push({ type: 'header', header: { version: this.buf[off + 3], audio: !!(flags & 4), video: !!(flags & 1) } });
				if (this.buf.readUInt32BE(off + size) !== 0) throw new FlvError('FLV: PreviousTagSize0 is not 0');
				off += size + 4;
				this.gotHeader = true;
				continue;
			}
			if (this.buf.length - off < 11) break;
			const type = this.buf[off] & 0x1f;
			const size = this.buf.readUIntBE(off + 1, 3);
			if (size > this.maxTagSize) throw new FlvError(`FLV: tag of ${size} bytes`);
			if (this.buf.length - off < 11 + size + 4) break;
			const timestamp = (this.buf.readUIntBE(off + 4, 3) | (this.buf[off + 7] << 24)) >>> 0;
			const body = Buffer.from(this.buf.subarray(off + 11, off + 11 + size));
			const prev = this.buf.readUInt32BE(off + 11 + size);
			if (prev !== 11 + size) throw new FlvError(`FLV: PreviousTagSize ${prev}, expected ${11 + size}`);
			this.lastTagSize = prev;
			events.push({ type: 'tag', tag: { type, timestamp, body } });
			off += 11 + size + 4;
		}
		this.buf = this.buf.subarray(off);
		return events;
	}

	/** Bytes held waiting for the rest of a tag. */
	get pending(): number {
		return this.buf.length;
	}

	get previousTagSize(): number {
		return this.lastTagSize;
	}
}

/** A whole FLV file or capture: its header and every complete tag (a cut-off last tag is left out). */
export function readFlv(data: Buffer): { header?: FlvFileHeader; tags: FlvTag[]; trailing: number } {
	const reader = new FlvReader();
	let header: FlvFileHeader | undefined;
	const tags: FlvTag[] = [];
	for (const e of reader.push(data)) {
		if (e.type === 'header') header = e.header;
		else tags.push(e.tag);
	}
	return { header, tags, trailing: reader.pending };
}

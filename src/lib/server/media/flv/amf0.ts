// AMF0 (Action Message Format 0, Adobe's amf0-file-format-specification):
// the values of FLV script tags (onMetaData) and RTMP command messages.
// Pure: no app imports.
//
// Decoding maps: number, boolean, string / long string / XML document → string,
// object / ECMA array / typed object → a plain object with no prototype (so a
// key such as "__proto__" is just a key), strict array → array, null, undefined
// (also "unsupported"), date → Date, reference → the object it refers to.
// Anything malformed or over the limits throws AmfError; nothing else is thrown.

export type AmfValue = number | boolean | string | null | undefined | Date | AmfValue[] | AmfObject | EcmaArray;
export interface AmfObject {
	[key: string]: AmfValue;
}

/** Encodes its entries as an ECMA array (marker 8) instead of an object, as onMetaData usually is. */
export class EcmaArray {
	constructor(readonly entries: AmfObject) {}
}

export class AmfError extends Error {}

export const AMF0 = {
	NUMBER: 0x00,
	BOOLEAN: 0x01,
	STRING: 0x02,
	OBJECT: 0x03,
	MOVIECLIP: 0x04,
	NULL: 0x05,
	UNDEFINED: 0x06,
	REFERENCE: 0x07,
	ECMA_ARRAY: 0x08,
	OBJECT_END: 0x09,
	STRICT_ARRAY: 0x0a,
	DATE: 0x0b,
	LONG_STRING: 0x0c,
	UNSUPPORTED: 0x0d,
	RECORDSET: 0x0e,
	XML_DOCUMENT: 0x0f,
	TYPED_OBJECT: 0x10,
	AVMPLUS: 0x11
} as const;

export interface DecodeOptions {
	/** Deepest nesting of objects/arrays (default 32). */
	maxDepth?: number;
	/** Most values in total, nested ones included (default 100 000). */
	maxValues?: number;
}

/** Every AMF0 value in `buf`, in order. */
export function decodeAmf0(buf: Uint8Array, options: DecodeOptions = {}): AmfValue[] {
	const r = new Amf0Reader(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), options);
	const out: AmfValue[] = [];
	while (r.offset < r.buf.length) out.push(r.value(0));
	return out;
}

class Amf0Reader {
	offset = 0;
	private count = 0;
	private readonly refs: AmfValue[] = [];
	private readonly maxDepth: number;
	private readonly maxValues: number;

	constructor(
		readonly buf: Buffer,
		options: DecodeOptions
	) {
		this.maxDepth = options.maxDepth ?? 32;
		this.maxValues = options.maxValues ?? 100_000;
	}

	private need(n: number, what: string) {
		if (this.offset + n > this.buf.length) throw new AmfError(`AMF0: truncated ${what} at byte ${this.offset}`);
	}

	private u8(what: string) {
		this.need(1, what);
		return this.buf[this.offset++];
	}

	private u16(what: string) {
		this.need(2, what);
		const v = this.buf.readUInt16BE(this.offset);
		this.offset += 2;
		return v;
	}

	private u32(what: string) {
		this.need(4, what);
		const v = this.buf.readUInt32BE(this.offset);
		this.offset += 4;
		return v;
	}

	private f64(what: string) {
		this.need(8, what);
		const v = this.buf.readDoubleBE(this.offset);
		this.offset += 8;
		return v;
	}

	private utf8(length: number, what: string) {
		this.need(length, what);
		const s = this.buf.toString('utf8', this.offset, this.offset + length);
		this.offset += length;
		return s;
	}

	/** Key/value pairs up to the empty key + object-end marker. */
	private properties(target: AmfObject, depth: number) {
		for (;;) {
			const key = this.utf8(this.u16('property name length'), 'property name');
			if (key === '') {
				this.need(1, 'object end');
				if (this.buf[this.offset] === AMF0.OBJECT_END) {
					this.offset++;
					return;
				}
			}
			target[key] = this.value(depth + 1);
		}
	}

	value(depth: number): AmfValue {
		if (depth > this.maxDepth) throw new AmfError(`AMF0: nested deeper than ${this.maxDepth}`);
		if (++this.count > this.maxValues) throw new AmfError(`AMF0: more than ${this.maxValues} values`);
		const at = this.offset;
		const marker = this.u8('type marker');
		switch (marker) {
			case AMF0.NUMBER:
				return this.f64('number');
			case AMF0.BOOLEAN:
				return this.u8('boolean') !== 0;
			case AMF0.STRING:
				return this.utf8(this.u16('string length'), 'string');
			case AMF0.LONG_STRING:
			case AMF0.XML_DOCUMENT:
				return this.utf8(this.u32('long string length'), 'long string');
			case AMF0.NULL:
				return null;
			case AMF0.UNDEFINED:
			case AMF0.UNSUPPORTED:
				return undefined;
			case AMF0.OBJECT:
			case AMF0.TYPED_OBJECT: {
				if (marker === AMF0.TYPED_OBJECT) this.utf8(this.u16('class name length'), 'class name');
				const obj: AmfObject = Object.create(null);
				this.refs.push(obj);
				this.properties(obj, depth);
				return obj;
			}
			case AMF0.ECMA_ARRAY: {
				this.u32('ECMA array count'); // advisory only: the end marker ends it
				const obj: AmfObject = Object.create(null);
				this.refs.push(obj);
				this.properties(obj, depth);
				return obj;
			}
			case AMF0.STRICT_ARRAY: {
				const n = this.u32('strict array count');
				// Every value takes at least one byte: a count past the end is malformed.
				if (n > this.buf.length - this.offset) throw new AmfError(`AMF0: strict array of ${n} values in ${this.buf.length - this.offset} bytes`);
				const arr: AmfValue[] = [];
				this.refs.push(arr);
				for (let i = 0; i < n; i++) arr.push(this.value(depth + 1));
				return arr;
			}
			case AMF0.DATE: {
				const ms = this.f64('date');
				this.u16('date time zone');
				return new Date(ms);
			}
			case AMF0.REFERENCE: {
				const i = this.u16('reference');
				if (i >= this.refs.length) throw new AmfError(`AMF0: reference ${i} to an unknown object`);
				return this.refs[i];
			}
			case AMF0.OBJECT_END:
				throw new AmfError(`AMF0: object end marker outside an object at byte ${at}`);
			case AMF0.AVMPLUS:
				throw new AmfError('AMF0: AMF3 values are not supported');
			default:
				throw new AmfError(`AMF0: unsupported type marker 0x${marker.toString(16).padStart(2, '0')} at byte ${at}`);
		}
	}
}

/** Encodes values one after the other (an RTMP command: name, transaction id, objects…). */
export function encodeAmf0(...values: AmfValue[]): Buffer {
	const parts: Buffer[] = [];
	for (const v of values) write(parts, v, 0);
	return Buffer.concat(parts);
}

function write(parts: Buffer[], v: AmfValue, depth: number) {
	if (depth > 64) throw new AmfError('AMF0: value nested too deep to encode (a cycle?)');
	if (v === null) return void parts.push(Buffer.from([AMF0.NULL]));
	if (v === undefined) return void parts.push(Buffer.from([AMF0.UNDEFINED]));
	if (typeof v === 'number') {
		const b = Buffer.alloc(9);
		b[0] = AMF0.NUMBER;
		b.writeDoubleBE(v, 1);
		return void parts.push(b);
	}
	if (typeof v === 'boolean') return void parts.push(Buffer.from([AMF0.BOOLEAN, v ? 1 : 0]));
	if (typeof v === 'string') {
		const s = Buffer.from(v, 'utf8');
		if (s.length <= 0xffff) {
			const h = Buffer.alloc(3);
			h[0] = AMF0.STRING;
			h.writeUInt16BE(s.length, 1);
			return void parts.push(h, s);
		}
		const h = Buffer.alloc(5);
		h[0] = AMF0.LONG_STRING;
		h.writeUInt32BE(s.length, 1);
		return void parts.push(h, s);
	}
	if (v instanceof Date) {
		const b = Buffer.alloc(11);
		b[0] = AMF0.DATE;
		b.writeDoubleBE(v.getTime(), 1);
		return void parts.push(b);
	}
	if (Array.isArray(v)) {
		const h = Buffer.alloc(5);
		h[0] = AMF0.STRICT_ARRAY;
		h.writeUInt32BE(v.length, 1);
		parts.push(h);
		for (const item of v) write(parts, item, depth + 1);
		return;
	}
	if (v instanceof EcmaArray) {
		const h = Buffer.alloc(5);
		h[0] = AMF0.ECMA_ARRAY;
		h.writeUInt32BE(Object.keys(v.entries).length, 1);
		parts.push(h);
		writeProperties(parts, v.entries, depth);
		return;
	}
	parts.push(Buffer.from([AMF0.OBJECT]));
	writeProperties(parts, v, depth);
}

function writeProperties(parts: Buffer[], obj: AmfObject, depth: number) {
	for (const [key, value] of Object.entries(obj)) {
		const k = Buffer.from(key, 'utf8');
		if (k.length === 0 || k.length > 0xffff) throw new AmfError(`AMF0: property name of ${k.length} bytes cannot be encoded`);
		const h = Buffer.alloc(2);
		h.writeUInt16BE(k.length);
		parts.push(h, k);
		write(parts, value, depth + 1);
	}
	parts.push(Buffer.from([0, 0, AMF0.OBJECT_END]));
}

/** A decoded value as an object (objects and ECMA arrays), else undefined. */
export function amfObject(v: AmfValue): AmfObject | undefined {
	return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof EcmaArray) ? v : undefined;
}

// AMF0 values: known encodings, round trips, and malformed input.
import { describe, expect, it } from 'vitest';
import { AmfError, EcmaArray, decodeAmf0, encodeAmf0, amfObject } from '../../src/lib/server/media/flv/amf0';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('AMF0', () => {
	it('encodes as the spec lays out the bytes', () => {
		expect(encodeAmf0('connect').toString('hex')).toBe('0200' + '07' + Buffer.from('connect').toString('hex'));
		expect(encodeAmf0(1)).toEqual(hex('00 3ff0000000000000'));
		expect(encodeAmf0(true, false)).toEqual(hex('0101 0100'));
		expect(encodeAmf0(null, undefined)).toEqual(hex('05 06'));
		expect(encodeAmf0({ app: 'live' })).toEqual(hex('03 0003 617070 02 0004 6c697665 000009'));
		expect(encodeAmf0(new EcmaArray({ width: 640 }))).toEqual(hex('08 00000001 0005 7769647468 00 4084000000000000 000009'));
		expect(encodeAmf0([1, 'a'])).toEqual(hex('0a 00000002 00 3ff0000000000000 02 0001 61'));
		expect(encodeAmf0(new Date(0))).toEqual(hex('0b 0000000000000000 0000'));
	});

	it('decodes what it encodes: every type, nested', () => {
		const long = 'x'.repeat(70_000);
		const values = [
			'connect',
			1,
			{ app: 'live', tcUrl: 'rtmp://h/live', fpad: false, capabilities: 239, nested: { a: [1, 2, { b: null }], c: undefined } },
			null,
			undefined,
			-0.5,
			long,
			'ünïcödé ✓',
			[true, 'x', 3],
			new Date(1_700_000_000_000)
		];
		const decoded = decodeAmf0(encodeAmf0(...values));
		expect(decoded).toEqual(values);
		expect(decoded[6]).toHaveLength(70_000);
		expect(encodeAmf0(long)[0]).toBe(0x0c); // long string
	});

	it('decodes an ECMA array as an object, and onMetaData as ffmpeg writes it', () => {
		const body = encodeAmf0('@setDataFrame', 'onMetaData', new EcmaArray({ duration: 0, width: 640, height: 360, videocodecid: 7, audiocodecid: 10, encoder: 'Lavf59.27.100' }));
		const [a, b, meta] = decodeAmf0(body);
		expect([a, b]).toEqual(['@setDataFrame', 'onMetaData']);
		expect(amfObject(meta)).toMatchObject({ width: 640, height: 360, videocodecid: 7, audiocodecid: 10, encoder: 'Lavf59.27.100' });
	});

	it('reads typed objects, XML documents, unsupported and references', () => {
		const typed = hex('10 0003 466f6f 0001 78 00 4000000000000000 000009');
		expect(decodeAmf0(typed)).toEqual([{ x: 2 }]);
		const xml = hex('0f 00000003 3c612f');
		expect(decodeAmf0(xml)).toEqual(['<a/']);
		expect(decodeAmf0(hex('0d'))).toEqual([undefined]);
		// An object, then a reference to it (index 0).
		const [obj, ref] = decodeAmf0(Buffer.concat([encodeAmf0({ k: 1 }), hex('07 0000')]));
		expect(ref).toBe(obj);
	});

	it('keeps "__proto__" a plain key', () => {
		const bytes = Buffer.concat([hex('03 0009'), Buffer.from('__proto__'), hex('03 0005'), Buffer.from('admin'), hex('0101 000009 000009')]);
		const [v] = decodeAmf0(bytes);
		expect(({} as Record<string, unknown>).admin).toBeUndefined();
		expect(Object.getPrototypeOf(v)).toBe(null);
		expect(Object.keys(v as object)).toEqual(['__proto__']);
	});

	it('refuses malformed input with AmfError only', () => {
		const bad = [
			hex('00 3ff0'), // truncated number
			hex('02 0010 61'), // string longer than the buffer
			hex('03 0001 61'), // object cut off
			hex('0a ffffffff 05'), // strict array count past the end
			hex('07 0003'), // reference to nothing
			hex('09'), // object end outside an object
			hex('11 01'), // AMF3 switch
			hex('ee') // unknown marker
		];
		for (const b of bad) expect(() => decodeAmf0(b), b.toString('hex')).toThrow(AmfError);
		// Nesting deeper than the limit.
		const deep = Buffer.concat([...Array.from({ length: 40 }, () => hex('0a 00000001')), hex('05')]);
		expect(() => decodeAmf0(deep)).toThrow(/nested deeper/);
		expect(decodeAmf0(deep, { maxDepth: 64 })).toHaveLength(1);
		// Too many values.
		expect(() => decodeAmf0(Buffer.alloc(50, 0x05), { maxValues: 10 })).toThrow(/more than 10 values/);
	});
});

// Chunk streams: every header type, the basic header's three forms, messages
// split across chunks and interleaved, extended timestamps (with and without
// the repeat in type 3 chunks), Set Chunk Size and Abort, and the limits.
import { describe, expect, it } from 'vitest';
import { ChunkReader, ChunkWriter, MSG, RtmpError, writeMessage, type RtmpMessage } from '../../src/lib/server/media/rtmp/chunk';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const strip = (m: RtmpMessage) => ({ csid: m.csid, type: m.type, streamId: m.streamId, timestamp: m.timestamp, payload: m.payload.toString('hex') });

/** Feeds in pieces of `step` bytes and collects the messages. */
function readAll(data: Buffer, step = data.length, reader = new ChunkReader()) {
	const out: RtmpMessage[] = [];
	for (let i = 0; i < data.length; i += step) out.push(...reader.push(data.subarray(i, i + step)));
	return out;
}

describe('RTMP chunk reader', () => {
	it('reads a type 0 message split into type 3 continuation chunks (chunk size 128)', () => {
		const payload = bytes(300);
		const data = Buffer.concat([
			hex('06 000064 00012c 09 01000000'), // fmt 0, csid 6, ts 100, length 300, video, stream 1 (little-endian)
			payload.subarray(0, 128),
			hex('c6'),
			payload.subarray(128, 256),
			hex('c6'),
			payload.subarray(256)
		]);
		for (const step of [data.length, 1, 7, 129]) {
			const [m, ...rest] = readAll(data, step);
			expect(rest).toHaveLength(0);
			expect(m).toMatchObject({ csid: 6, type: 9, streamId: 1, timestamp: 100 });
			expect(m.payload.equals(payload)).toBe(true);
		}
	});

	it('applies type 1, 2 and 3 headers as deltas from the previous message', () => {
		const data = Buffer.concat([
			hex('04 000010 000002 08 01000000'), hex('aaaa'), // fmt0: ts 16, len 2, audio, stream 1
			hex('44 000014 000003 08'), hex('bbbbbb'), // fmt1: +20 → 36, len 3
			hex('84 000014'), hex('cccccc'), // fmt2: +20 → 56, same length/type
			hex('c4'), hex('dddddd'), // fmt3 new message: same delta → 76
			hex('c4'), hex('eeeeee') // → 96
		]);
		const msgs = readAll(data).map(strip);
		expect(msgs.map((m) => m.timestamp)).toEqual([16, 36, 56, 76, 96]);
		expect(msgs.map((m) => m.payload)).toEqual(['aaaa', 'bbbbbb', 'cccccc', 'dddddd', 'eeeeee']);
		expect(msgs.every((m) => m.type === 8 && m.streamId === 1 && m.csid === 4)).toBe(true);
		// Byte by byte: the same.
		expect(readAll(data, 1).map(strip)).toEqual(msgs);
	});

	it('reads type 3 after type 0 as repeating its timestamp field as a delta (as ffmpeg does)', () => {
		const data = Buffer.concat([hex('05 000028 000001 14 00000000'), hex('01'), hex('c5'), hex('02')]);
		expect(readAll(data).map((m) => m.timestamp)).toEqual([40, 80]);
	});

	it('reads the 2- and 3-byte basic headers (chunk stream ids 64-319 and up to 65599)', () => {
		const two = Buffer.concat([hex('00 06 000001 000001 09 00000000'), hex('11')]); // csid 64 + 6 = 70
		const three = Buffer.concat([hex('01 10 27 000002 000001 09 00000000'), hex('22')]); // csid 64 + 0x2710 = 10064
		expect(readAll(two)[0].csid).toBe(70);
		expect(readAll(three)[0].csid).toBe(10064);
		// And the writer picks the same forms.
		for (const csid of [2, 63, 64, 319, 320, 65599]) {
			const m = { csid, type: 9, streamId: 1, timestamp: 5, payload: bytes(200) };
			expect(strip(readAll(writeMessage(m))[0])).toEqual(strip(m));
		}
	});

	it('reads messages interleaved on two chunk streams', () => {
		const v = bytes(200, 3);
		const a = bytes(10, 9);
		const data = Buffer.concat([
			hex('06 000000 0000c8 09 01000000'), v.subarray(0, 128),
			hex('04 000000 00000a 08 01000000'), a,
			hex('c6'), v.subarray(128)
		]);
		const msgs = readAll(data);
		expect(msgs.map((m) => m.type)).toEqual([8, 9]);
		expect(msgs[0].payload.equals(a) && msgs[1].payload.equals(v)).toBe(true);
	});

	it('reads extended timestamps, with or without the repeat in type 3 chunks', () => {
		const payload = bytes(200);
		const ts = 0x01234567;
		const ext = hex('01234567');
		const withRepeat = Buffer.concat([hex('06 ffffff 0000c8 09 01000000'), ext, payload.subarray(0, 128), hex('c6'), ext, payload.subarray(128)]);
		const without = Buffer.concat([hex('06 ffffff 0000c8 09 01000000'), ext, payload.subarray(0, 128), hex('c6'), payload.subarray(128)]);
		for (const data of [withRepeat, without])
			for (const step of [data.length, 1, 5]) {
				const [m] = readAll(data, step);
				expect(m.timestamp).toBe(ts);
				expect(m.payload.equals(payload)).toBe(true);
			}
		// An extended delta (type 2) and a type 3 message repeating it.
		const deltas = Buffer.concat([
			hex('04 000000 000001 08 01000000'), hex('01'),
			hex('84 ffffff'), hex('01000000'), hex('02'), // +0x1000000
			hex('c4'), hex('01000000'), hex('03') // +0x1000000 again
		]);
		expect(readAll(deltas).map((m) => m.timestamp)).toEqual([0, 0x1000000, 0x2000000]);
		// Timestamps wrap at 32 bits.
		const wrap = Buffer.concat([hex('04 ffffff 000001 08 01000000'), hex('fffffff0'), hex('01'), hex('84 000020'), hex('02')]);
		expect(readAll(wrap).map((m) => m.timestamp)).toEqual([0xfffffff0, 0x10]);
	});

	it('applies Set Chunk Size at once, mid-buffer', () => {
		const payload = bytes(5000);
		const data = Buffer.concat([
			hex('02 000000 000004 01 00000000 00001000'), // Set Chunk Size 4096
			hex('06 000000 001388 09 01000000'), payload.subarray(0, 4096),
			hex('c6'), payload.subarray(4096)
		]);
		const reader = new ChunkReader();
		const msgs = readAll(data, data.length, reader);
		expect(msgs.map((m) => m.type)).toEqual([MSG.SET_CHUNK_SIZE, MSG.VIDEO]);
		expect(reader.chunkSize).toBe(4096);
		expect(msgs[1].payload.equals(payload)).toBe(true);
	});

	it('reads a 200 KB message in 1-byte chunks, quickly', () => {
		const payload = bytes(200_000);
		const w = new ChunkWriter();
		const r = new ChunkReader();
		r.push(writeMessage({ csid: 2, type: MSG.SET_CHUNK_SIZE, streamId: 0, timestamp: 0, payload: hex('00000001') }));
		w.chunkSize = 1;
		const t0 = Date.now();
		const [m] = r.push(w.write({ csid: 6, type: 9, streamId: 1, timestamp: 0, payload }));
		expect(m.payload.equals(payload)).toBe(true);
		expect(Date.now() - t0).toBeLessThan(1000);
	});

	it('drops a partial message on Abort', () => {
		const data = Buffer.concat([
			hex('06 000000 0000c8 09 01000000'), bytes(128),
			hex('02 000000 000004 02 00000000 00000006'), // Abort chunk stream 6
			hex('06 000000 000002 09 01000000'), hex('abcd')
		]);
		const msgs = readAll(data);
		expect(msgs.map((m) => m.type)).toEqual([MSG.ABORT, MSG.VIDEO]);
		expect(msgs[1].payload.toString('hex')).toBe('abcd');
	});

	it('refuses what is malformed or over the limits', () => {
		const cases: [string, Buffer][] = [
			['type 1 with no type 0 before', hex('46 000000 000001 09 00')],
			['type 3 with no type 0 before', hex('c6 00')],
			['chunk size 0', hex('02 000000 000004 01 00000000 00000000')],
			['chunk size over 64 KiB', hex('02 000000 000004 01 00000000 00010001')],
			['message over 8 MiB', hex('06 000000 900000 09 01000000')],
			['truncated Set Chunk Size', hex('02 000000 000002 01 00000000 0010')]
		];
		for (const [what, data] of cases) expect(() => new ChunkReader().push(data), what).toThrow(RtmpError);
		// Too many chunk streams.
		const many = Buffer.concat(Array.from({ length: 70 }, (_, i) => hex(`${(i + 3 < 64 ? i + 3 : 0).toString(16).padStart(2, '0')}${i + 3 >= 64 ? (i + 3 - 64).toString(16).padStart(2, '0') : ''} 000000 000000 09 01000000`)));
		expect(() => new ChunkReader().push(many)).toThrow(/more than 64 chunk streams/);
		// Too many bytes held in unfinished messages.
		const r = new ChunkReader({ maxPendingBytes: 1000 });
		expect(() => r.push(Buffer.concat([hex('06 000000 100000 09 01000000'), bytes(128), hex('c6'), bytes(128), ...Array.from({ length: 10 }, () => Buffer.concat([hex('c6'), bytes(128)]))]))).toThrow(/unfinished/);
		// Declared lengths count, not bytes received: two 8 MiB messages opened, a third is too many.
		const opened = (csid: number) => Buffer.concat([hex(`${csid.toString(16).padStart(2, '0')} 000000 800000 09 01000000`), bytes(128)]);
		const r2 = new ChunkReader();
		r2.push(Buffer.concat([opened(4), opened(5)]));
		expect(() => r2.push(opened(6))).toThrow(/unfinished/);
		// A failed reader stays failed.
		const f = new ChunkReader();
		expect(() => f.push(hex('c6 00'))).toThrow(RtmpError);
		expect(() => f.push(hex('02 000000 000001 14 00000000 05'))).toThrow(RtmpError);
	});

	it('reads back what the writer writes: compressed headers, many sizes, extended times', () => {
		let seed = 7;
		const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
		const w = new ChunkWriter();
		const r = new ChunkReader();
		for (const size of [128, 1, 4096, 60_000]) {
			const sc = writeMessage({ csid: 2, type: MSG.SET_CHUNK_SIZE, streamId: 0, timestamp: 0, payload: hex(size.toString(16).padStart(8, '0')) }, w.chunkSize);
			expect(r.push(sc)).toHaveLength(1);
			w.chunkSize = size;
			const sent: RtmpMessage[] = [];
			let ts = rand(2) ? 0 : 0xfffff0;
			for (let i = 0; i < 60; i++) {
				const csid = [3, 4, 6, 70, 400][rand(5)];
				ts += [0, 40, 40, 23, 0x1000000][rand(5)];
				const len = [0, 1, 10, 10, 200, 5000][rand(6)];
				sent.push({ csid, type: [8, 9, 20][rand(3)], streamId: rand(4) === 0 ? 0 : 1, timestamp: ts >>> 0, payload: bytes(len, i) });
			}
			const wire = Buffer.concat(sent.map((m) => w.write(m)));
			const got: RtmpMessage[] = [];
			for (let i = 0; i < wire.length; ) {
				const n = 1 + rand(3000);
				got.push(...r.push(wire.subarray(i, i + n)));
				i += n;
			}
			expect(got.map(strip)).toEqual(sent.map(strip));
		}
	});
});

// A bounded fuzz run: random and mutated inputs into the chunk reader, the
// AMF0 decoder, the FLV tag parsers and whole sessions. Only the handled
// error types may come out (RtmpError, AmfError, FlvError), a session never
// throws at all, and the run stays well under 5 s. Seeded: a failure replays.
import { describe, expect, it } from 'vitest';
import { ChunkReader, ChunkWriter, RtmpError, type RtmpMessage } from '../../src/lib/server/media/rtmp/chunk';
import { RtmpSession } from '../../src/lib/server/media/rtmp/session';
import { clientHello } from '../../src/lib/server/media/rtmp/handshake';
import { command } from '../../src/lib/server/media/rtmp/messages';
import { AmfError, EcmaArray, decodeAmf0, encodeAmf0 } from '../../src/lib/server/media/flv/amf0';
import { FlvError, parseAudioData, parseVideoData } from '../../src/lib/server/media/flv';

function rng(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const random = rng(20261123);
const int = (n: number) => Math.floor(random() * n);
const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

/** Flips bits, overwrites, inserts, deletes, duplicates or truncates. */
function mutate(b: Buffer): Buffer {
	let out = Buffer.from(b);
	const edits = 1 + int(4);
	for (let e = 0; e < edits && out.length; e++) {
		const at = int(out.length);
		switch (int(6)) {
			case 0:
				out[at] ^= 1 << int(8);
				break;
			case 1:
				out[at] = [0, 0xff, 0x7f, 0x80, 0x03, 0xc6][int(6)];
				break;
			case 2:
				out = Buffer.concat([out.subarray(0, at), randomBytes(1 + int(8)), out.subarray(at)]);
				break;
			case 3:
				out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + int(8))]);
				break;
			case 4:
				out = Buffer.concat([out.subarray(0, at), out.subarray(at, at + 1 + int(64)), out.subarray(at)]);
				break;
			default:
				out = out.subarray(0, at);
		}
	}
	return out;
}

/** Something valid to start from: a publisher's first messages. */
function validStream(): Buffer {
	const w = new ChunkWriter();
	const msgs: RtmpMessage[] = [
		{ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.from([0, 0, 0x10, 0]) },
		command(0, 'connect', 1, { app: 'live', tcUrl: 'rtmp://h/live', fpad: false, capabilities: 15 }),
		command(0, 'createStream', 2, null),
		command(1, 'publish', 3, null, 'cam?key=k', 'live'),
		{ csid: 4, type: 18, streamId: 1, timestamp: 0, payload: encodeAmf0('@setDataFrame', 'onMetaData', new EcmaArray({ width: 640, audiocodecid: 10 })) },
		{ csid: 6, type: 9, streamId: 1, timestamp: 0, payload: Buffer.from('1700000000' + '014d401effe1000a674d401eeca0a0fd8010' + '01000468ee3c80', 'hex') },
		{ csid: 4, type: 8, streamId: 1, timestamp: 0, payload: Buffer.from('af001210', 'hex') },
		{ csid: 6, type: 9, streamId: 1, timestamp: 0x1000000, payload: Buffer.concat([Buffer.from('170100005000000005658884800000000100', 'hex'), randomBytes(256)]) },
		{ csid: 4, type: 8, streamId: 1, timestamp: 0x1000010, payload: Buffer.concat([Buffer.from('af01', 'hex'), randomBytes(100)]) }
	];
	w.chunkSize = 128;
	return Buffer.concat(msgs.map((m, i) => ((w.chunkSize = i === 0 ? 128 : 4096), w.write(m))));
}

const handled = (e: unknown) => e instanceof RtmpError || e instanceof AmfError || e instanceof FlvError;

describe('fuzz', () => {
	it('chunk reader, AMF0 and FLV tag parsers: only handled errors, fast', { timeout: 15_000 }, () => {
		const t0 = Date.now();
		const base = validStream();
		const amfBase = encodeAmf0('connect', 1, { app: 'live', list: [1, 'two', { three: null }], when: new Date(0) }, new EcmaArray({ a: 'b'.repeat(300) }), undefined);
		let inputs = 0;
		let errors = 0;
		for (let i = 0; i < 4000; i++) {
			const input = i % 4 === 0 ? randomBytes(int(600)) : mutate(base);
			const reader = new ChunkReader();
			try {
				for (let at = 0; at < input.length; ) {
					const n = 1 + int(200);
					for (const m of reader.push(input.subarray(at, at + n))) {
						// Everything downstream of the reader too.
						try {
							if (m.type === 20 || m.type === 18) decodeAmf0(m.payload, { maxDepth: 16, maxValues: 10_000 });
							if (m.type === 9) parseVideoData(m.payload);
							if (m.type === 8) parseAudioData(m.payload);
						} catch (e) {
							if (!handled(e)) throw e;
						}
					}
					at += n;
				}
			} catch (e) {
				if (!handled(e)) throw e;
				errors++;
			}
			inputs++;
			const amf = i % 3 === 0 ? randomBytes(int(100)) : mutate(amfBase);
			try {
				decodeAmf0(amf);
			} catch (e) {
				if (!(e instanceof AmfError)) throw e;
			}
			inputs++;
		}
		const ms = Date.now() - t0;
		expect(inputs).toBe(8000);
		expect(errors).toBeGreaterThan(100);
		expect(ms).toBeLessThan(5000);
	});

	it('whole sessions: never throw, always end on bad input, never stall', { timeout: 15_000 }, async () => {
		const t0 = Date.now();
		const base = Buffer.concat([clientHello(), Buffer.alloc(1536), validStream()]);
		let closedCount = 0;
		let started = 0;
		let frames = 0;
		const logs: string[] = [];
		for (let i = 0; i < 1500; i++) {
			const input = i === 0 ? base : i % 5 === 0 ? Buffer.concat([clientHello(), Buffer.alloc(1536), randomBytes(int(2000))]) : mutate(base);
			let ended = false;
			const session = new RtmpSession(
				{
					authorize: () => {},
					start: () => void started++,
					video: () => void frames++,
					audio: () => {},
					stop: () => {},
					log: (m) => void logs.push(m)
				},
				{ write: () => {}, end: () => (ended = true) },
				{ startTimeoutMs: 60_000 }
			);
			for (let at = 0; at < input.length; ) {
				const n = 1 + int(3000);
				session.push(input.subarray(at, at + n)); // must not throw
				at += n;
			}
			await Promise.resolve(); // let an authorization settle
			await new Promise((r) => setImmediate(r));
			if (i === 0) expect([started, frames]).toEqual([1, 1]); // the unmutated stream publishes
			session.close('done');
			if (ended) closedCount++;
		}
		expect(closedCount).toBe(1500);
		expect(started).toBeGreaterThan(50);
		expect(logs.filter((l) => /internal error|handler error/.test(l))).toEqual([]);
		expect(Date.now() - t0).toBeLessThan(5000);
	});
});


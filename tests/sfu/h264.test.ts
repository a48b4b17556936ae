// H.264 / H.265 bitstream helpers on real encoder output (ffmpeg libx264 / libx265).
import { describe, expect, it } from 'vitest';
import { buildAvcC, h264ProfileOf, parseAvcC } from '../../src/lib/server/media/h264/avcc';
import { hevcFmtp, parseHvcC } from '../../src/lib/server/media/h264/hvcc';
import { H264AnnexBSplitter, h264NalType, h265NalType, joinLengthPrefixed, splitAnnexB, splitLengthPrefixed } from '../../src/lib/server/media/h264/nal';
import { fixture, h264AccessUnits, h265AccessUnits } from './fixtures';

describe('Annex-B', () => {
	const stream = fixture('testsrc2-320x180-baseline.h264');

	it('splits the stream into NAL units without start codes', () => {
		const nals = splitAnnexB(stream);
		expect(nals.slice(0, 5).map(h264NalType)).toEqual([7, 8, 6, 5, 5]);
		expect(nals.every((n) => (n[0] & 0x80) === 0)).toBe(true); // forbidden_zero_bit
	});

	it('groups NAL units into access units (x264 writes 2 slices per picture here)', () => {
		const aus = h264AccessUnits();
		expect(aus).toHaveLength(35);
		expect(aus[0].map(h264NalType)).toEqual([7, 8, 6, 5, 5]);
		expect(aus[1].map(h264NalType)).toEqual([1, 1]);
		expect(aus[30].map(h264NalType)).toEqual([7, 8, 5, 5]);
		expect(aus.filter((au) => au.some((n) => h264NalType(n) === 5))).toHaveLength(2);
	});

	it('gives the same access units whatever the chunking', () => {
		const whole = h264AccessUnits();
		const s = new H264AnnexBSplitter();
		const chunked: Buffer[][] = [];
		let seed = 7;
		for (let off = 0; off < stream.length; ) {
			seed = (seed * 1103515245 + 12345) & 0x7fffffff;
			const n = 1 + (seed % 3000);
			chunked.push(...s.push(stream.subarray(off, off + n)));
			off += n;
		}
		chunked.push(...s.flush());
		expect(chunked.map((au) => Buffer.concat(au).toString('hex'))).toEqual(whole.map((au) => Buffer.concat(au).toString('hex')));
	});
});

describe('length-prefixed samples', () => {
	it('round-trips NAL units through AVCC framing', () => {
		const au = h264AccessUnits()[0];
		const sample = joinLengthPrefixed(au);
		expect(sample.readUInt32BE(0)).toBe(au[0].length);
		expect(splitLengthPrefixed(sample).map((n) => n.toString('hex'))).toEqual(au.map((n) => n.toString('hex')));
		expect(splitLengthPrefixed(joinLengthPrefixed(au, 2), 2)).toHaveLength(au.length);
	});

	it('rejects a length running past the sample', () => {
		const sample = joinLengthPrefixed([Buffer.from([0x65, 1, 2, 3])]);
		expect(() => splitLengthPrefixed(sample.subarray(0, 6))).toThrow(/past the sample/);
	});
});

describe('avcC', () => {
	const avcC = fixture('testsrc2-320x180-baseline.avcC'); // as ffmpeg's mp4 muxer wrote it

	it('parses SPS/PPS, NAL length size and profile-level-id', () => {
		const cfg = parseAvcC(avcC);
		const nals = splitAnnexB(fixture('testsrc2-320x180-baseline.h264'));
		expect(cfg.nalLengthSize).toBe(4);
		expect(cfg.profileLevelId).toBe('42c00d');
		expect(cfg.sps).toHaveLength(1);
		expect(cfg.pps).toHaveLength(1);
		expect(cfg.sps[0].equals(nals[0])).toBe(true);
		expect(cfg.pps[0].equals(nals[1])).toBe(true);
	});

	it('builds the same bytes ffmpeg writes', () => {
		const cfg = parseAvcC(avcC);
		expect(buildAvcC(cfg.sps, cfg.pps).equals(avcC)).toBe(true);
	});

	it('rejects garbage', () => {
		expect(() => parseAvcC(Buffer.from([0, 1, 2]))).toThrow();
		expect(() => parseAvcC(Buffer.from([2, 0x42, 0, 0x1f, 0xff, 0xe1]))).toThrow();
	});

	it('names profiles the way RFC 6184 / WebRTC compare them', () => {
		expect(h264ProfileOf('42e01f')).toBe('constrained-baseline');
		expect(h264ProfileOf('42c00d')).toBe('constrained-baseline');
		expect(h264ProfileOf('42001f')).toBe('baseline');
		expect(h264ProfileOf('4d001f')).toBe('main');
		expect(h264ProfileOf('4d8028')).toBe('constrained-baseline');
		expect(h264ProfileOf('640028')).toBe('high');
		expect(h264ProfileOf('640c1f')).toBe('constrained-high');
		expect(h264ProfileOf('f4001f')).toBe('high444');
		expect(h264ProfileOf('zz')).toBe('unknown');
	});
});

describe('hvcC', () => {
	it('parses VPS/SPS/PPS and the profile as ffmpeg wrote them', () => {
		const cfg = parseHvcC(fixture('testsrc2-320x180.hvcC'));
		expect(cfg.nalLengthSize).toBe(4);
		expect(cfg.generalProfileIdc).toBe(1); // Main
		expect(cfg.generalTierFlag).toBe(0);
		expect(cfg.generalLevelIdc).toBe(60); // level 2
		expect(cfg.vps.map(h265NalType)).toEqual([32]);
		expect(cfg.sps.map(h265NalType)).toEqual([33]);
		expect(cfg.pps.map(h265NalType)).toEqual([34]);
		const first = h265AccessUnits()[0];
		expect(cfg.vps[0].equals(first[0])).toBe(true);
		expect(cfg.sps[0].equals(first[1])).toBe(true);
		expect(cfg.pps[0].equals(first[2])).toBe(true);
		expect(hevcFmtp(cfg)).toBe('profile-id=1;tier-flag=0;level-id=60');
	});

	it('rejects garbage', () => {
		expect(() => parseHvcC(Buffer.alloc(10))).toThrow();
	});
});

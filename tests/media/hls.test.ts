// LL-HLS muxer on real fMP4 from Debian's ffmpeg: playlist syntax, blocking
// reload, preload hint, part/segment bytes, and ffprobe reading the result.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Fmp4Splitter } from '../../src/lib/server/media/fmp4';
import { HlsError, LlHlsMuxer, type HlsUrls } from '../../src/lib/server/media/hls/ll-hls';
import type { Fragment, InitSegment, Sample, TrackInfo } from '../../src/lib/server/media/types';

// ---- a minimal test-only fMP4 splitter --------------------------------------

interface Box {
	type: string;
	start: number;
	/** First byte after the header. */
	body: number;
	end: number;
}

function boxes(buf: Buffer, start = 0, end = buf.length): Box[] {
	const out: Box[] = [];
	let i = start;
	while (i + 8 <= end) {
		let size = buf.readUInt32BE(i);
		const type = buf.toString('latin1', i + 4, i + 8);
		let body = i + 8;
		if (size === 1) {
			size = Number(buf.readBigUInt64BE(i + 8));
			body = i + 16;
		} else if (size === 0) {
			size = end - i;
		}
		out.push({ type, start: i, body, end: i + size });
		i += size;
	}
	return out;
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
	return boxes(buf, parent.body, parent.end).find((b) => b.type === type);
}

function path(buf: Buffer, parent: Box, ...types: string[]): Box | undefined {
	let b: Box | undefined = parent;
	for (const t of types) b = b && child(buf, b, t);
	return b;
}

interface Trex {
	duration: number;
	size: number;
	flags: number;
}

interface Split {
	init: InitSegment;
	fragments: Fragment[];
}

function split(file: Buffer): Split {
	const top = boxes(file);
	const moov = top.find((b) => b.type === 'moov');
	if (!moov) throw new Error('no moov');
	const tracks: TrackInfo[] = [];
	const trex = new Map<number, Trex>();
	for (const b of boxes(file, moov.body, moov.end)) {
		if (b.type === 'trak') tracks.push(parseTrak(file, b));
		if (b.type === 'mvex') {
			for (const t of boxes(file, b.body, b.end)) {
				if (t.type !== 'trex') continue;
				const p = t.body + 4;
				trex.set(file.readUInt32BE(p), {
					duration: file.readUInt32BE(p + 8),
					size: file.readUInt32BE(p + 12),
					flags: file.readUInt32BE(p + 16)
				});
			}
		}
	}
	const init: InitSegment = { data: file.subarray(0, moov.end), tracks };
	const kinds = new Map(tracks.map((t) => [t.id, t.kind]));
	const hasVideo = tracks.some((t) => t.kind === 'video');

	const fragments: Fragment[] = [];
	for (let i = 0; i < top.length; i++) {
		const moof = top[i];
		if (moof.type !== 'moof') continue;
		const mdat = top[i + 1];
		if (mdat?.type !== 'mdat') throw new Error('moof without mdat');
		const samples: Sample[] = [];
		for (const traf of boxes(file, moof.body, moof.end)) {
			if (traf.type === 'traf') samples.push(...parseTraf(file, moof, traf, trex, kinds));
		}
		const firstVideo = samples.find((s) => kinds.get(s.trackId) === 'video');
		fragments.push({
			data: file.subarray(moof.start, mdat.end),
			samples,
			keyframe: hasVideo ? !!firstVideo?.keyframe : true
		});
	}
	return { init, fragments };
}

function parseTrak(buf: Buffer, trak: Box): TrackInfo {
	const tkhd = child(buf, trak, 'tkhd')!;
	const id = buf.readUInt32BE(tkhd.body + (buf[tkhd.body] === 1 ? 20 : 12));
	const mdhd = path(buf, trak, 'mdia', 'mdhd')!;
	const timescale = buf.readUInt32BE(mdhd.body + (buf[mdhd.body] === 1 ? 20 : 12));
	const hdlr = path(buf, trak, 'mdia', 'hdlr')!;
	const handler = buf.toString('latin1', hdlr.body + 8, hdlr.body + 12);
	const stsd = path(buf, trak, 'mdia', 'minf', 'stbl', 'stsd')!;
	const entry = boxes(buf, stsd.body + 8, stsd.end)[0];
	if (handler === 'vide') {
		const width = buf.readUInt16BE(entry.body + 24);
		const height = buf.readUInt16BE(entry.body + 26);
		const avcC = boxes(buf, entry.body + 78, entry.end).find((b) => b.type === 'avcC');
		if (!avcC) throw new Error(`unsupported video sample entry ${entry.type}`);
		const hex = (n: number) => buf[avcC.body + n].toString(16).padStart(2, '0');
		return { id, kind: 'video', codec: 'h264', codecString: `avc1.${hex(1)}${hex(2)}${hex(3)}`, timescale, width, height };
	}
	if (handler === 'soun') {
		const channels = buf.readUInt16BE(entry.body + 16);
		const sampleRate = buf.readUInt32BE(entry.body + 24) >>> 16;
		const esds = boxes(buf, entry.body + 28, entry.end).find((b) => b.type === 'esds');
		if (!esds) throw new Error(`unsupported audio sample entry ${entry.type}`);
		// The AudioSpecificConfig: the payload of the DecoderSpecificInfo descriptor (tag 5).
		let p = esds.body + 4;
		const descriptor = (): { tag: number; len: number } => {
			const tag = buf[p++];
			let len = 0;
			for (let k = 0; k < 4; k++) {
				const b = buf[p++];
				len = (len << 7) | (b & 0x7f);
				if (!(b & 0x80)) break;
			}
			return { tag, len };
		};
		descriptor(); // ES_Descriptor
		const esFlags = buf[p + 2];
		p += 3;
		if (esFlags & 0x80) p += 2; // dependsOn_ES_ID
		if (esFlags & 0x40) p += 1 + buf[p]; // URL
		if (esFlags & 0x20) p += 2; // OCR_ES_Id
		descriptor(); // DecoderConfigDescriptor
		p += 13;
		const dsi = descriptor();
		const config = buf.subarray(p, p + dsi.len);
		const aot = config[0] >> 3;
		return { id, kind: 'audio', codec: 'aac', codecString: `mp4a.40.${aot}`, timescale, sampleRate, channels, config };
	}
	throw new Error(`unsupported handler ${handler}`);
}

function parseTraf(buf: Buffer, moof: Box, traf: Box, trex: Map<number, Trex>, kinds: Map<number, string>): Sample[] {
	const tfhd = child(buf, traf, 'tfhd')!;
	const tfFlags = buf.readUInt32BE(tfhd.body) & 0xffffff;
	const trackId = buf.readUInt32BE(tfhd.body + 4);
	const defaults = trex.get(trackId) ?? { duration: 0, size: 0, flags: 0 };
	let p = tfhd.body + 8;
	let base = moof.start;
	if (tfFlags & 0x1) {
		base = Number(buf.readBigUInt64BE(p));
		p += 8;
	}
	if (tfFlags & 0x2) p += 4;
	let defDuration = defaults.duration;
	let defSize = defaults.size;
	let defFlags = defaults.flags;
	if (tfFlags & 0x8) (defDuration = buf.readUInt32BE(p)), (p += 4);
	if (tfFlags & 0x10) (defSize = buf.readUInt32BE(p)), (p += 4);
	if (tfFlags & 0x20) (defFlags = buf.readUInt32BE(p)), (p += 4);

	const tfdt = child(buf, traf, 'tfdt')!;
	let dts = buf[tfdt.body] === 1 ? Number(buf.readBigUInt64BE(tfdt.body + 4)) : buf.readUInt32BE(tfdt.body + 4);
	const audio = kinds.get(trackId) === 'audio';

	const samples: Sample[] = [];
	for (const trun of boxes(buf, traf.body, traf.end)) {
		if (trun.type !== 'trun') continue;
		const version = buf[trun.body];
		const flags = buf.readUInt32BE(trun.body) & 0xffffff;
		const count = buf.readUInt32BE(trun.body + 4);
		let q = trun.body + 8;
		let offset = base;
		if (flags & 0x1) (offset = base + buf.readInt32BE(q)), (q += 4);
		let firstFlags: number | undefined;
		if (flags & 0x4) (firstFlags = buf.readUInt32BE(q)), (q += 4);
		for (let n = 0; n < count; n++) {
			let duration = defDuration;
			let size = defSize;
			let sFlags = n === 0 && firstFlags !== undefined ? firstFlags : defFlags;
			let cts = 0;
			if (flags & 0x100) (duration = buf.readUInt32BE(q)), (q += 4);
			if (flags & 0x200) (size = buf.readUInt32BE(q)), (q += 4);
			if (flags & 0x400) (sFlags = buf.readUInt32BE(q)), (q += 4);
			if (flags & 0x800) (cts = version === 0 ? buf.readUInt32BE(q) : buf.readInt32BE(q)), (q += 4);
			samples.push({
				trackId,
				dts,
				ctsOffset: cts,
				duration,
				keyframe: audio || !(sFlags & 0x10000),
				data: buf.subarray(offset, offset + size)
			});
			dts += duration;
			offset += size;
		}
	}
	return samples;
}

// ---- playlist helpers -------------------------------------------------------

const urls: HlsUrls = {
	init: (v) => `init-${v ?? 0}.mp4`,
	part: (msn, part) => `part-${msn}.${part}.m4s`,
	segment: (msn) => `seg-${msn}.m4s`
};

interface ParsedSegment {
	msn: number;
	duration?: number;
	uri?: string;
	pdt?: string;
	discontinuity: boolean;
	map?: string;
	parts: { duration: number; uri: string; independent: boolean }[];
}

function attrs(line: string): Record<string, string> {
	const out: Record<string, string> = {};
	const body = line.slice(line.indexOf(':') + 1);
	for (const m of body.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[m[1]] = m[2].replace(/^"|"$/g, '');
	return out;
}

function parse(text: string) {
	expect(text.endsWith('\n')).toBe(true);
	const lines = text.trimEnd().split('\n');
	expect(lines[0]).toBe('#EXTM3U');
	const tag = (name: string) => lines.find((l) => l.startsWith(`#${name}:`) || l === `#${name}`);
	const mediaSequence = Number(tag('EXT-X-MEDIA-SEQUENCE')!.split(':')[1]);
	const segments: ParsedSegment[] = [];
	let cur: ParsedSegment = { msn: mediaSequence, discontinuity: false, parts: [] };
	let pendingDuration: number | undefined;
	for (const l of lines.slice(1)) {
		expect(l.length).toBeGreaterThan(0);
		if (l.startsWith('#EXT-X-DISCONTINUITY') && !l.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE')) cur.discontinuity = true;
		else if (l.startsWith('#EXT-X-MAP:')) cur.map = attrs(l).URI;
		else if (l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) cur.pdt = l.slice(l.indexOf(':') + 1);
		else if (l.startsWith('#EXT-X-PART:')) {
			const a = attrs(l);
			cur.parts.push({ duration: Number(a.DURATION), uri: a.URI, independent: a.INDEPENDENT === 'YES' });
		} else if (l.startsWith('#EXTINF:')) pendingDuration = Number(l.slice(8).split(',')[0]);
		else if (!l.startsWith('#')) {
			cur.duration = pendingDuration;
			cur.uri = l;
			segments.push(cur);
			cur = { msn: cur.msn + 1, discontinuity: false, parts: [] };
			pendingDuration = undefined;
		}
	}
	const open = cur.parts.length > 0 ? cur : undefined;
	return {
		lines,
		tag,
		version: Number(tag('EXT-X-VERSION')?.split(':')[1]),
		targetDuration: Number(tag('EXT-X-TARGETDURATION')!.split(':')[1]),
		partTarget: Number(attrs(tag('EXT-X-PART-INF')!)['PART-TARGET']),
		serverControl: attrs(tag('EXT-X-SERVER-CONTROL')!),
		mediaSequence,
		segments,
		open,
		hint: tag('EXT-X-PRELOAD-HINT') ? attrs(tag('EXT-X-PRELOAD-HINT')!) : undefined,
		ended: lines.includes('#EXT-X-ENDLIST')
	};
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function track<T>(p: Promise<T>) {
	const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
	p.then(
		(v) => Object.assign(state, { settled: true, value: v }),
		(e) => Object.assign(state, { settled: true, error: e })
	);
	return state;
}

function ffmpeg(out: string, args: string[]): Buffer {
	execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, '-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+frag_every_frame', out]);
	return readFileSync(out);
}

// ---- tests ----------------------------------------------------------------

let dir: string;
let video: Split; // 8 s, 25 fps, GOP 25 (1 s), one fragment per frame
let av: Split; // 4 s video + AAC
let audio: Split; // 4 s AAC only

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'vantage-hls-'));
	const src = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25'];
	const x264 = ['-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p'];
	const sine = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
	video = split(ffmpeg(join(dir, 'v.mp4'), [...src, '-t', '8', ...x264]));
	av = split(ffmpeg(join(dir, 'av.mp4'), [...src, ...sine, '-t', '4', ...x264, '-c:a', 'aac']));
	audio = split(ffmpeg(join(dir, 'a.mp4'), [...sine, '-t', '4', '-c:a', 'aac']));
});

afterAll(() => {
	if (dir) rmSync(dir, { recursive: true, force: true });
});

function feed(m: LlHlsMuxer, s: Split, from = 0, to = s.fragments.length) {
	for (let i = from; i < to; i++) m.push(s.fragments[i]);
}

describe('test splitter', () => {
	it('reads tracks and per-frame fragments', () => {
		expect(video.init.tracks).toEqual([
			expect.objectContaining({ id: 1, kind: 'video', codecString: 'avc1.64001e', timescale: 12800, width: 640, height: 360 })
		]);
		expect(video.fragments).toHaveLength(200);
		expect(video.fragments.filter((f) => f.keyframe)).toHaveLength(8);
		expect(video.fragments[25].keyframe).toBe(true);
		expect(video.fragments[1].samples[0]).toMatchObject({ dts: 512, duration: 512, keyframe: false });
		expect(av.init.tracks.map((t) => t.codecString)).toEqual(['avc1.64001e', 'mp4a.40.2']);
		expect(audio.init.tracks[0]).toMatchObject({ kind: 'audio', timescale: 48000, codecString: 'mp4a.40.2' });
	});
});

describe('LlHlsMuxer playlist', () => {
	it('writes a well-formed LL-HLS media playlist', async () => {
		const m = new LlHlsMuxer();
		m.setInit(video.init);
		const before = Date.now();
		feed(m, video);
		const pl = parse(await m.playlist(urls));

		expect(pl.version).toBe(9);
		expect(pl.targetDuration).toBe(1);
		expect(pl.partTarget).toBeCloseTo(0.2, 5);
		expect(pl.serverControl).toEqual({ 'CAN-BLOCK-RELOAD': 'YES', 'PART-HOLD-BACK': '0.60000' });
		expect(pl.tag('EXT-X-INDEPENDENT-SEGMENTS')).toBeDefined();
		expect(pl.ended).toBe(false);

		// 8 s: segments 0..6 complete, 7 being written (its last part waits for the next keyframe).
		expect(pl.mediaSequence).toBe(1);
		expect(pl.segments.map((s) => s.msn)).toEqual([1, 2, 3, 4, 5, 6]);
		expect(pl.segments.map((s) => s.uri)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `seg-${n}.m4s`));
		expect(pl.segments[0].map).toBe('init-1.mp4');
		expect(pl.lines.filter((l) => l.startsWith('#EXT-X-MAP'))).toHaveLength(1);
		for (const s of pl.segments) {
			expect(s.duration).toBeCloseTo(1, 5);
			expect(s.pdt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
			expect(Date.parse(s.pdt!)).toBeGreaterThanOrEqual(before - 1);
			expect(Date.parse(s.pdt!)).toBeLessThanOrEqual(Date.now());
			expect(s.discontinuity).toBe(false);
		}

		// Parts are listed for the last segments (within 3 target durations), ≤ PART-TARGET,
		// the first of each segment independent, and they add up to the segment.
		const withParts = pl.segments.filter((s) => s.parts.length);
		expect(withParts.map((s) => s.msn)).toEqual([5, 6]);
		for (const s of withParts) {
			expect(s.parts.map((p) => p.uri)).toEqual([0, 1, 2, 3, 4].map((i) => `part-${s.msn}.${i}.m4s`));
			expect(s.parts.map((p) => p.independent)).toEqual([true, false, false, false, false]);
			for (const p of s.parts) expect(p.duration).toBeLessThanOrEqual(pl.partTarget);
			expect(s.parts.reduce((a, p) => a + p.duration, 0)).toBeCloseTo(s.duration!, 4);
		}
		expect(pl.open?.msn).toBe(7);
		expect(pl.open?.parts.map((p) => p.uri)).toEqual([0, 1, 2, 3].map((i) => `part-7.${i}.m4s`));
		expect(pl.hint).toEqual({ TYPE: 'PART', URI: 'part-7.4.m4s' });
	});

	it('serves parts and segments whose bytes match: init + parts = init + segment', async () => {
		const m = new LlHlsMuxer();
		m.setInit(video.init);
		feed(m, video);
		expect(m.init()?.equals(video.init.data)).toBe(true);
		let total = 0;
		for (let msn = 1; msn <= 6; msn++) {
			const seg = await m.segment(msn);
			expect(seg).toBeDefined();
			const parts: Buffer[] = [];
			for (let i = 0; i < 5; i++) parts.push((await m.part(msn, i))!);
			expect(Buffer.concat([video.init.data, ...parts]).equals(Buffer.concat([video.init.data, seg!]))).toBe(true);
			// Each segment is exactly fragments 25·msn … 25·msn+24.
			const frags = video.fragments.slice(25 * msn, 25 * msn + 25).map((f) => f.data);
			expect(seg!.equals(Buffer.concat(frags))).toBe(true);
			total += seg!.length;
		}
		expect(total).toBeGreaterThan(0);
		expect(await m.part(6, 5)).toBeUndefined(); // segment 6 has 5 parts
		// Memory is bounded: 6 in the playlist + 2 more; segment 0 is still there, older ones would be gone.
		expect(await m.segment(0)).toBeDefined();
		const m2 = new LlHlsMuxer({ segmentsInPlaylist: 2 });
		m2.setInit(video.init);
		feed(m2, video);
		expect(await m2.segment(2)).toBeUndefined();
		expect(await m2.part(2, 0)).toBeUndefined();
		expect(await m2.segment(3)).toBeDefined();
		expect(parse(await m2.playlist(urls)).mediaSequence).toBe(5);
	});

	it('writes the multivariant playlist from the tracks', () => {
		const m = new LlHlsMuxer();
		m.setInit(av.init);
		const early = m.masterPlaylist('media.m3u8?token=t');
		expect(early).toMatch(/^#EXTM3U\n/);
		expect(early).toContain('CODECS="avc1.64001e,mp4a.40.2"');
		feed(m, av);
		const text = m.masterPlaylist('media.m3u8?token=t');
		const lines = text.trimEnd().split('\n');
		expect(lines[lines.length - 1]).toBe('media.m3u8?token=t');
		const inf = attrs(lines.find((l) => l.startsWith('#EXT-X-STREAM-INF:'))!);
		expect(inf.CODECS).toBe('avc1.64001e,mp4a.40.2');
		expect(inf.RESOLUTION).toBe('640x360');
		expect(Number(inf['FRAME-RATE'])).toBeCloseTo(25, 1);
		const bytes = av.fragments.reduce((a, f) => a + f.data.length, 0);
		expect(Number(inf.BANDWIDTH)).toBeGreaterThanOrEqual(Number(inf['AVERAGE-BANDWIDTH']));
		expect(Number(inf['AVERAGE-BANDWIDTH'])).toBeGreaterThan(((bytes * 8) / 4) * 0.7);
		expect(Number(inf['AVERAGE-BANDWIDTH'])).toBeLessThan(((bytes * 8) / 4) * 1.3);
	});

	it('drives durations from audio in audio-only streams', async () => {
		const m = new LlHlsMuxer();
		m.setInit(audio.init);
		feed(m, audio);
		m.close();
		const pl = parse(await m.playlist(urls));
		expect(pl.ended).toBe(true);
		expect(pl.hint).toBeUndefined();
		const ticks = audio.fragments.reduce((a, f) => a + f.samples.reduce((b, x) => b + x.duration, 0), 0);
		const total = pl.segments.reduce((a, s) => a + s.duration!, 0);
		expect(total).toBeCloseTo(ticks / 48000, 3);
		expect(pl.segments.length).toBe(5); // 4.0 s cut every ~0.92 s (first frame past 0.9 s)
		for (const s of pl.segments.slice(0, -1)) {
			expect(s.duration).toBeGreaterThanOrEqual(0.9);
			expect(s.duration).toBeLessThanOrEqual(1.05);
		}
		for (const s of pl.segments.filter((x) => x.parts.length)) {
			for (const p of s.parts) {
				expect(p.independent).toBe(true);
				expect(p.duration).toBeLessThanOrEqual(0.2);
			}
		}
		expect(m.masterPlaylist('a.m3u8')).toContain('CODECS="mp4a.40.2"');
	});

	it('keeps audio fragments of an A/V stream out of segment starts', async () => {
		const m = new LlHlsMuxer();
		m.setInit(av.init);
		feed(m, av);
		m.close();
		const pl = parse(await m.playlist(urls));
		expect(pl.segments).toHaveLength(4);
		for (const s of pl.segments) {
			expect(s.duration).toBeCloseTo(1, 5);
			const seg = (await m.segment(s.msn))!;
			// The first fragment of every segment is a video keyframe.
			const first = av.fragments.find((f) => f.data.equals(seg.subarray(0, f.data.length)));
			expect(first?.keyframe).toBe(true);
		}
	});

	it('marks a new init with EXT-X-DISCONTINUITY and a new EXT-X-MAP', async () => {
		const m = new LlHlsMuxer({ segmentsInPlaylist: 10 });
		m.setInit(video.init);
		feed(m, video, 0, 60); // 2 segments + part of a third
		m.setInit({ ...video.init }); // same bytes, new session (timestamps restart)
		feed(m, video, 0, 50);
		m.setInit(av.init); // other codecs
		feed(m, av, 0, 60);
		m.close();
		const pl = parse(await m.playlist(urls));
		expect(pl.segments.map((s) => s.discontinuity)).toEqual([false, false, false, true, false, true]);
		expect(pl.segments.map((s) => s.map)).toEqual(['init-1.mp4', undefined, undefined, undefined, undefined, 'init-2.mp4']);
		expect(pl.segments.slice(0, 5).map((s) => s.duration!.toFixed(2))).toEqual(['1.00', '1.00', '0.40', '1.00', '1.00']);
		expect(pl.segments[5].duration).toBeGreaterThan(0.5);
		expect(pl.segments[5].duration).toBeLessThan(1);
		expect(pl.tag('EXT-X-DISCONTINUITY-SEQUENCE')).toBeUndefined();
		expect(pl.targetDuration).toBe(1);
		expect(m.init(1)?.equals(video.init.data)).toBe(true);
		expect(m.init()?.equals(av.init.data)).toBe(true);
		expect(m.init(2)?.equals(av.init.data)).toBe(true);
	});
});

describe('with the ingest splitter', () => {
	it('muxes the same segments from Fmp4Splitter events fed in pipe-sized chunks', async () => {
		for (const name of ['v.mp4', 'av.mp4']) {
			const file = readFileSync(join(dir, name));
			const ours = name === 'v.mp4' ? video : av;
			const splitter = new Fmp4Splitter();
			const a = new LlHlsMuxer({ segmentsInPlaylist: 10 });
			let fragments = 0;
			for (let i = 0; i < file.length; i += 65536) {
				for (const e of splitter.push(file.subarray(i, i + 65536))) {
					if (e.type === 'init') {
						expect(e.init.tracks.map((t) => t.codecString)).toEqual(ours.init.tracks.map((t) => t.codecString));
						a.setInit(e.init);
					} else {
						a.push(e.fragment);
						fragments++;
					}
				}
			}
			expect(fragments).toBe(ours.fragments.length);
			const b = new LlHlsMuxer({ segmentsInPlaylist: 10 });
			b.setInit(ours.init);
			feed(b, ours);
			a.close();
			b.close();
			const pa = parse(await a.playlist(urls));
			const pb = parse(await b.playlist(urls));
			expect(pa.segments.map((s) => [s.msn, s.duration, s.parts.length])).toEqual(pb.segments.map((s) => [s.msn, s.duration, s.parts.length]));
			for (const s of pa.segments) expect((await a.segment(s.msn))!.equals((await b.segment(s.msn))!)).toBe(true);
		}
	});
});

describe('LlHlsMuxer edge cases', () => {
	it('starts a discontinuity on a timestamp jump without a new init', async () => {
		const m = new LlHlsMuxer();
		m.setInit(video.init);
		feed(m, video, 0, 60);
		feed(m, video, 10, 60); // timestamps go back: dropped until the next keyframe (fragment 25)
		m.close();
		const pl = parse(await m.playlist(urls));
		expect(pl.segments.map((s) => s.discontinuity)).toEqual([false, false, false, true, false]);
		expect(pl.segments.map((s) => s.duration!.toFixed(2))).toEqual(['1.00', '1.00', '0.40', '1.00', '0.40']);
		expect(pl.lines.filter((l) => l.startsWith('#EXT-X-MAP'))).toHaveLength(1);
	});

	it('raises PART-TARGET when single fragments are longer (one fragment per GOP)', async () => {
		const file = join(dir, 'gop.mp4');
		execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '4', '-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+frag_keyframe', file]);
		const gop = split(readFileSync(file));
		expect(gop.fragments.length).toBe(4);
		const m = new LlHlsMuxer();
		m.setInit(gop.init);
		feed(m, gop);
		m.close();
		const pl = parse(await m.playlist(urls));
		expect(pl.partTarget).toBeCloseTo(1, 5);
		expect(pl.serverControl['PART-HOLD-BACK']).toBe('3.00000');
		expect(pl.segments).toHaveLength(4);
		for (const s of pl.segments.filter((x) => x.parts.length)) {
			expect(s.parts).toEqual([{ duration: 1, uri: `part-${s.msn}.0.m4s`, independent: true }]);
		}
	});

	it('drops fragments before the init and the first keyframe; ready() waits for a segment', async () => {
		const m = new LlHlsMuxer();
		m.push(video.fragments[0]);
		expect(m.init()).toBeUndefined();
		const empty = parse(await m.playlist(urls));
		expect(empty.segments).toEqual([]);
		expect(empty.hint).toBeUndefined();
		m.setInit(video.init);
		const ready = track(m.ready());
		feed(m, video, 1, 25); // no keyframe: nothing
		await flush();
		expect(parse(await m.playlist(urls)).open).toBeUndefined();
		expect(parse(await m.playlist(urls)).hint?.URI).toBe('part-0.0.m4s');
		feed(m, video, 0, 25);
		await flush();
		expect(ready.settled).toBe(false);
		expect(m.lastMsn).toBe(-1);
		m.push(video.fragments[25]);
		await flush();
		expect(ready).toMatchObject({ settled: true, value: true });
		expect(m.lastMsn).toBe(0);
		expect(m.id).toMatch(/^[a-z0-9]+$/);
	});
});

describe('LlHlsMuxer blocking', () => {
	it('blocks per part, per msn, and for the preload-hinted part and the segment being written', async () => {
		for (const [msn, part] of [
			[1, 1],
			[1, 4],
			[2, 0],
			[3, 2]
		] as const) {
			const m = new LlHlsMuxer();
			m.setInit(video.init);
			feed(m, video, 0, 32);
			const reload = track(m.playlist(urls, { msn, part }));
			const reloadMsn = track(m.playlist(urls, { msn }));
			const partReq = track(m.part(msn, part));
			const segReq = track(m.segment(msn));
			const lastFrame = 25 * msn + 5 * part + 4;
			// The last part of a segment waits for the next keyframe (it might have continued).
			const completeAt = part === 4 ? lastFrame + 1 : lastFrame;
			for (let i = 32; i < 150; i++) {
				m.push(video.fragments[i]);
				await flush();
				expect(reload.settled).toBe(i >= completeAt);
				expect(partReq.settled).toBe(i >= completeAt);
				expect(reloadMsn.settled).toBe(i >= 25 * (msn + 1));
				expect(segReq.settled).toBe(i >= 25 * (msn + 1));
			}
			expect(partReq.value?.equals(Buffer.concat(video.fragments.slice(lastFrame - 4, lastFrame + 1).map((f) => f.data)))).toBe(true);
			expect(segReq.value?.equals(Buffer.concat(video.fragments.slice(25 * msn, 25 * msn + 25).map((f) => f.data)))).toBe(true);
			const pl = parse(reloadMsn.value!);
			expect(pl.segments.at(-1)!.msn).toBe(msn);
			m.close();
		}
	});

	it('resolves the preload hint once that part is complete', async () => {
		const m = new LlHlsMuxer();
		m.setInit(video.init);
		feed(m, video, 0, 23);
		for (let i = 23; i < 80; i++) {
			const pl = parse(await m.playlist(urls));
			const [, msn, part] = /^part-(\d+)\.(\d+)\.m4s$/.exec(pl.hint!.URI)!.map(Number);
			const hinted = track(m.part(msn, part));
			await flush();
			expect(hinted.settled).toBe(false);
			// Push until it settles; it must then be listed in the playlist with these bytes.
			let j = i;
			while (!hinted.settled) {
				m.push(video.fragments[j++]);
				await flush();
			}
			const after = parse(await m.playlist(urls));
			const listed = [...after.segments, ...(after.open ? [after.open] : [])].flatMap((s) => s.parts);
			expect(listed.map((p) => p.uri)).toContain(pl.hint!.URI);
			expect(hinted.value?.length).toBeGreaterThan(0);
			expect(await m.part(msn, part)).toBe(hinted.value);
			i = j - 1;
		}
	});

	it('refuses requests too far ahead, times out, aborts, and wakes everyone on close', async () => {
		const m = new LlHlsMuxer();
		m.setInit(video.init);
		feed(m, video, 0, 30); // segment 0 complete, part 1.0 complete
		await expect(m.playlist(urls, { msn: 4 })).rejects.toMatchObject({ status: 400 });
		await expect(m.playlist(urls, { msn: 1, part: 16 })).rejects.toBeInstanceOf(HlsError);
		await expect(m.playlist(urls, { msn: -1 })).rejects.toMatchObject({ status: 400 });
		expect(await m.part(1, 40)).toBeUndefined();
		expect(await m.segment(5)).toBeUndefined();
		// Old requests answer at once.
		expect(parse(await m.playlist(urls, { msn: 0 })).segments.map((s) => s.msn)).toEqual([0]);
		expect(parse(await m.playlist(urls, { msn: 1, part: 0 })).open?.parts).toHaveLength(1);

		// Abort.
		const ac = new AbortController();
		const aborted = m.playlist(urls, { msn: 3 }, ac.signal);
		const abortedPart = m.part(1, 1, ac.signal);
		ac.abort(new Error('gone'));
		await expect(aborted).rejects.toThrow('gone');
		await expect(abortedPart).rejects.toThrow('gone');

		// Timeout: 3 × target duration, then the playlist as it is.
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const slow = track(m.playlist(urls, { msn: 3 }));
			const slowPart = track(m.part(1, 1));
			await vi.advanceTimersByTimeAsync(2900);
			expect(slow.settled).toBe(false);
			await vi.advanceTimersByTimeAsync(200);
			expect(slow.settled).toBe(true);
			expect(parse(slow.value!).segments.map((s) => s.msn)).toEqual([0]);
			expect(slowPart).toMatchObject({ settled: true, value: undefined });
		} finally {
			vi.useRealTimers();
		}

		// Close wakes the waiters: the playlist ends, parts not yet written never come.
		const waiting = track(m.playlist(urls, { msn: 2, part: 3 }));
		const waitingPart = track(m.part(2, 0));
		const waitingSeg = track(m.segment(1));
		await flush();
		expect(waiting.settled || waitingPart.settled || waitingSeg.settled).toBe(false);
		m.close();
		await flush();
		expect(waiting.settled).toBe(true);
		const last = parse(waiting.value!);
		expect(last.ended).toBe(true);
		expect(last.segments.map((s) => s.msn)).toEqual([0, 1]); // the partial segment 1 is closed
		expect(waitingPart).toMatchObject({ settled: true, value: undefined });
		expect(waitingSeg.value?.equals(Buffer.concat(video.fragments.slice(25, 30).map((f) => f.data)))).toBe(true);
		expect(await m.playlist(urls, { msn: 9 })).toContain('#EXT-X-ENDLIST');
	});
});

describe('LlHlsMuxer output on disk', () => {
	function writeOut(m: LlHlsMuxer, name: string, playlist: string, msns: number[]) {
		const out = join(dir, name);
		mkdirSync(out, { recursive: true });
		return (async () => {
			writeFileSync(join(out, 'init-1.mp4'), m.init(1)!);
			for (const msn of msns) {
				writeFileSync(join(out, `seg-${msn}.m4s`), (await m.segment(msn))!);
				for (let i = 0; ; i++) {
					const p = await m.part(msn, i);
					if (!p) break;
					writeFileSync(join(out, `part-${msn}.${i}.m4s`), p);
				}
			}
			writeFileSync(join(out, 'media.m3u8'), playlist);
			writeFileSync(join(out, 'master.m3u8'), m.masterPlaylist('media.m3u8'));
			return out;
		})();
	}

	function probe(file: string, stream: string, entry: 'nb_read_frames' | 'nb_read_packets') {
		const flag = entry === 'nb_read_frames' ? '-count_frames' : '-count_packets';
		const out = execFileSync('ffprobe', ['-v', 'error', flag, '-select_streams', stream, '-show_entries', `stream=${entry}`, '-of', 'csv=p=0', file]);
		return Number(out.toString().trim().split(/\s+/)[0]);
	}

	it('ffprobe reads the playlist and counts every frame (video)', async () => {
		const m = new LlHlsMuxer({ segmentsInPlaylist: 10 });
		m.setInit(video.init);
		feed(m, video);
		m.close();
		const text = await m.playlist(urls);
		const pl = parse(text);
		expect(pl.segments.map((s) => s.msn)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
		const out = await writeOut(m, 'video', text, pl.segments.map((s) => s.msn));
		expect(probe(join(out, 'media.m3u8'), 'v:0', 'nb_read_frames')).toBe(200);
		expect(probe(join(out, 'master.m3u8'), 'v:0', 'nb_read_frames')).toBe(200);
		const info = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', join(out, 'media.m3u8')]);
		expect(info.toString().trim().split(/\s+/)[0]).toBe('h264,640,360');
	});

	it('ffprobe reads an A/V playlist: every video frame and audio packet', async () => {
		const m = new LlHlsMuxer({ segmentsInPlaylist: 10 });
		m.setInit(av.init);
		feed(m, av);
		m.close();
		const text = await m.playlist(urls);
		const pl = parse(text);
		const out = await writeOut(m, 'av', text, pl.segments.map((s) => s.msn));
		const audioPackets = av.fragments.reduce((a, f) => a + f.samples.filter((s) => s.trackId === 2).length, 0);
		expect(probe(join(out, 'media.m3u8'), 'v:0', 'nb_read_frames')).toBe(100);
		expect(probe(join(out, 'media.m3u8'), 'a:0', 'nb_read_packets')).toBe(audioPackets);
	});

	it('the live playlist (before the end) is readable too', async () => {
		const m = new LlHlsMuxer({ segmentsInPlaylist: 10 });
		m.setInit(video.init);
		feed(m, video, 0, 130);
		const text = await m.playlist(urls);
		const pl = parse(text);
		expect(pl.segments.map((s) => s.msn)).toEqual([0, 1, 2, 3, 4]);
		const out = await writeOut(m, 'live', text.replace(/#EXT-X-PRELOAD-HINT.*\n/, '') + '#EXT-X-ENDLIST\n', [0, 1, 2, 3, 4]);
		expect(probe(join(out, 'media.m3u8'), 'v:0', 'nb_read_frames')).toBe(125);
	});
});

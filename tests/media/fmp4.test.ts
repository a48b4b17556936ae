// The fMP4 splitter, init/fragment parsers and fragment writer, on real bytes
// from Debian's ffmpeg (piped, as ingest runs it), checked against ffprobe.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
	Fmp4Splitter,
	boxes,
	groupRuns,
	initForTracks,
	mimeType,
	parseInit,
	writeFragment,
	type SplitterEvent
} from '../../src/lib/server/media/fmp4';
import type { Fragment, InitSegment, Sample } from '../../src/lib/server/media/types';

const run = promisify(execFile);
const encoders = execFileSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
const hasX265 = /\blibx265\b/.test(encoders);
const hasOpus = /\blibopus\b/.test(encoders);

const lavfi = (size: string, sampleRate: number, seconds: number) => [
	...['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`],
	...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${sampleRate}`],
	...['-t', String(seconds)]
];
const x264 = ['-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p'];
const INGEST_FLAGS = 'empty_moov+default_base_moof+frag_every_frame';

interface Case {
	name: string;
	args: string[];
	/** One moof per frame (frag_every_frame), as ingest runs it. */
	perFrame: boolean;
	skip?: boolean;
}

const CASES: Case[] = [
	{
		name: 'h264+aac, frag_every_frame',
		args: [...lavfi('640x360', 48000, 3), ...x264, '-c:a', 'aac', '-movflags', INGEST_FLAGS],
		perFrame: true
	},
	{
		name: 'h265+opus, frag_every_frame',
		args: [
			...lavfi('320x180', 48000, 2),
			...['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-g', '25', '-pix_fmt', 'yuv420p'],
			...['-c:a', 'libopus', '-movflags', INGEST_FLAGS]
		],
		perFrame: true,
		skip: !hasX265 || !hasOpus
	},
	{
		// No default_base_moof: tfhd carries absolute base-data-offsets; one moof per GOP, with both tracks.
		name: 'h264+aac, frag_keyframe, absolute base offsets',
		args: [...lavfi('320x180', 44100, 3), ...x264, '-c:a', 'aac', '-movflags', 'empty_moov+frag_keyframe'],
		perFrame: false
	},
	{
		name: 'h264+aac, frag_keyframe + frag_duration',
		args: [
			...lavfi('320x180', 48000, 3),
			...x264,
			...['-c:a', 'aac', '-movflags', 'empty_moov+default_base_moof+frag_keyframe', '-frag_duration', '200000']
		],
		perFrame: false
	}
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let dir: string;
const files = new Map<string, Buffer>();
const ffmpegArgs = (c: Case) => ['-hide_banner', '-loglevel', 'error', ...c.args, '-f', 'mp4', 'pipe:1'];
const fileOf = (c: Case) => path.join(dir, `${CASES.indexOf(c)}.mp4`);

async function probe(file: string, ...args: string[]): Promise<Json> {
	const { stdout } = await run('ffprobe', ['-v', 'error', ...args, '-of', 'json', file], { maxBuffer: 64 << 20 });
	return JSON.parse(stdout);
}

beforeAll(async () => {
	dir = mkdtempSync(path.join(tmpdir(), 'vantage-fmp4-'));
	await Promise.all(
		CASES.filter((c) => !c.skip).map(async (c) => {
			const { stdout } = await run('ffmpeg', ffmpegArgs(c), { encoding: 'buffer', maxBuffer: 64 << 20 });
			writeFileSync(fileOf(c), stdout);
			files.set(c.name, stdout);
		})
	);
});

afterAll(() => {
	if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A seeded PRNG (mulberry32), so a failing chunking can be replayed. */
function rng(seed: number): () => number {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Pushes `data` in chunks of 1 byte .. 64 KiB (log-uniform), each a fresh copy. */
function split(data: Buffer, seed: number, splitter = new Fmp4Splitter()): SplitterEvent[] {
	const random = rng(seed);
	const events: SplitterEvent[] = [];
	for (let at = 0; at < data.length; ) {
		const n = Math.min(data.length - at, Math.floor(2 ** (random() * 16)));
		events.push(...splitter.push(Buffer.from(data.subarray(at, at + n))));
		at += n;
	}
	return events;
}

function parts(events: SplitterEvent[]): { inits: InitSegment[]; fragments: Fragment[] } {
	const inits: InitSegment[] = [];
	const fragments: Fragment[] = [];
	for (const e of events) {
		if (e.type === 'init') inits.push(e.init);
		else fragments.push(e.fragment);
	}
	return { inits, fragments };
}

/** Deep equality of samples, fast: fields as tuples, bytes with Buffer.equals. */
function expectSameSamples(a: Sample[], b: Sample[]): void {
	const fields = (s: Sample) => [s.trackId, s.dts, s.ctsOffset, s.duration, s.keyframe, s.data.length];
	expect(a.map(fields)).toEqual(b.map(fields));
	expect(a.every((s, i) => s.data.equals(b[i].data))).toBe(true);
}

const H264_PROFILES: Record<string, number> = { Baseline: 66, 'Constrained Baseline': 66, Main: 77, Extended: 88, High: 100 };
const HEVC_PROFILES: Record<string, number> = { Main: 1, 'Main 10': 2, 'Main Still Picture': 3, Rext: 4 };
const AAC_PROFILES: Record<string, number> = { Main: 1, LC: 2, SSR: 3, LTP: 4, 'HE-AAC': 5, 'HE-AACv2': 29 };

describe.each(CASES)('fMP4 from ffmpeg: $name', (c) => {
	let data: Buffer;
	let init: InitSegment;
	let fragments: Fragment[];
	/** The same, without the splitter's timestamp repair: exactly what the bytes say. */
	let faithful: Fragment[];
	let streams: Json[];
	let packets: Json[];

	beforeAll(async () => {
		if (c.skip) return;
		data = files.get(c.name)!;
		const got = parts(split(data, 1));
		expect(got.inits).toHaveLength(1);
		init = got.inits[0];
		fragments = got.fragments;
		faithful = parts(split(data, 1, new Fmp4Splitter({ repairTimestamps: false }))).fragments;
		streams = (await probe(fileOf(c), '-count_packets', '-show_streams')).streams;
		packets = (await probe(fileOf(c), '-show_entries', 'packet=stream_index,pts,dts,size,flags')).packets;
	});

	it.skipIf(c.skip)('gives back the stream byte for byte: init, then moof+mdat pairs (only the mfra trailer left out)', () => {
		const out = Buffer.concat([init.data, ...fragments.map((f) => f.data)]);
		expect(out.equals(data.subarray(0, out.length))).toBe(true);
		const rest = boxes.children(data, out.length).map((b) => b.type);
		expect(rest.every((t) => t === 'mfra')).toBe(true);
		expect(boxes.children(init.data).map((b) => b.type)).toEqual(['ftyp', 'moov']);
	});

	it.skipIf(c.skip)('is independent of how the stream is chunked', () => {
		for (const seed of [2, 3]) {
			const other = parts(split(data, seed));
			expect(other.inits[0].data.equals(init.data)).toBe(true);
			expect(other.fragments.map((f) => f.data.length)).toEqual(fragments.map((f) => f.data.length));
		}
		const whole = parts(new Fmp4Splitter().push(data));
		expect(whole.fragments).toHaveLength(fragments.length);
	});

	it.skipIf(c.skip)('declares the tracks and codecs ffprobe sees', () => {
		expect(init.tracks.map((t) => t.kind)).toEqual(streams.map((s) => s.codec_type));
		expect(parseInit(init.data)).toEqual(init.tracks);
		for (const [i, t] of init.tracks.entries()) {
			const s = streams[i];
			expect(t.id).toBe(i + 1);
			expect(t.timescale).toBe(Number(s.time_base.split('/')[1]));
			expect(t.config?.length).toBeGreaterThan(0);
			if (t.kind === 'video') {
				expect([t.width, t.height]).toEqual([s.width, s.height]);
				expect(t.codecString.split('.')[0]).toBe(s.codec_tag_string);
			} else {
				expect([t.sampleRate, t.channels]).toEqual([Number(s.sample_rate), s.channels]);
			}
			if (s.codec_name === 'h264') {
				expect(t.codec).toBe('h264');
				const hex = (n: number) => n.toString(16).padStart(2, '0');
				expect(t.codecString).toMatch(new RegExp(`^avc[13]\\.${hex(H264_PROFILES[s.profile])}[0-9a-f]{2}${hex(s.level)}$`));
			} else if (s.codec_name === 'hevc') {
				expect(t.codec).toBe('h265');
				// general_profile_idc, reversed compatibility flags (Main: bits 1 and 2 → 6), tier+level, constraints.
				expect(t.codecString).toMatch(new RegExp(`^(hvc1|hev1)\\.${HEVC_PROFILES[s.profile]}\\.6\\.L${s.level}(\\.[0-9A-F]{2})*$`));
			} else if (s.codec_name === 'aac') {
				expect([t.codec, t.codecString]).toEqual(['aac', `mp4a.40.${AAC_PROFILES[s.profile]}`]);
			} else {
				expect([s.codec_name, t.codec, t.codecString]).toEqual(['opus', 'opus', 'opus']);
				expect(t.config!.subarray(0, 1)).toEqual(Buffer.of(0)); // dOps version 0
			}
		}
		expect(mimeType(init.tracks)).toBe(`video/mp4; codecs="${init.tracks.map((t) => t.codecString).join(',')}"`);
		expect(mimeType(init.tracks.filter((t) => t.kind === 'audio'))).toMatch(/^audio\/mp4; codecs="(mp4a\.40\.2|opus)"$/);
	});

	it.skipIf(c.skip)('has the samples, times, sizes and keyframes ffprobe reads', () => {
		const samples = faithful.flatMap((f) => f.samples);
		for (const [i, t] of init.tracks.entries()) {
			const ours = samples.filter((s) => s.trackId === t.id);
			const theirs = packets.filter((p) => p.stream_index === i);
			expect(ours.length).toBe(Number(streams[i].nb_read_packets));
			expect(ours.map((s) => [s.dts, s.dts + s.ctsOffset, s.data.length, s.keyframe])).toEqual(
				theirs.map((p) => [Number(p.dts), Number(p.pts), Number(p.size), p.flags.startsWith('K')])
			);
			if (t.kind === 'video') expect(ours.filter((s) => s.keyframe).length).toBeGreaterThanOrEqual(2);
		}
	});

	it.skipIf(c.skip)('gives increasing, contiguous decode times, repairing ffmpeg 5.1 zero-duration audio samples', () => {
		const repaired = fragments.flatMap((f) => f.samples);
		const original = faithful.flatMap((f) => f.samples);
		expect(repaired).toHaveLength(original.length);
		for (const t of init.tracks) {
			const ours = repaired.filter((s) => s.trackId === t.id);
			// dts + duration = next dts, durations positive.
			const breaks = ours.filter((s, k) => k > 0 && (s.dts !== ours[k - 1].dts + ours[k - 1].duration || ours[k - 1].duration <= 0));
			expect(breaks).toEqual([]);
		}
		// Only the zero-duration samples of the original moved, to end where ffmpeg put them.
		const moved = original.map((o, k) => (o.duration === 0 ? { ...o, dts: repaired[k].dts, duration: o.dts - repaired[k].dts } : o));
		expectSameSamples(repaired, moved);
	});

	it.skipIf(c.skip)('marks fragments that start with a video keyframe, with sample data as views into them', () => {
		const video = init.tracks.find((t) => t.kind === 'video')!;
		expect(fragments[0].keyframe).toBe(true);
		for (const f of fragments) {
			const firstVideo = f.samples.find((s) => s.trackId === video.id);
			expect(f.keyframe).toBe(firstVideo?.keyframe ?? false);
			for (const s of f.samples) {
				expect(s.data.buffer).toBe(f.data.buffer);
				expect(s.data.byteOffset).toBeGreaterThanOrEqual(f.data.byteOffset);
				expect(s.data.byteOffset + s.data.length).toBeLessThanOrEqual(f.data.byteOffset + f.data.length);
			}
		}
		if (c.perFrame) {
			// One moof per frame: every fragment holds exactly one sample of one track.
			expect(fragments.every((f) => f.samples.length === 1)).toBe(true);
			const keyframes = packets.filter((p) => p.stream_index === init.tracks.indexOf(video) && p.flags.startsWith('K'));
			expect(fragments.filter((f) => f.keyframe)).toHaveLength(keyframes.length);
		}
	});

	it.skipIf(c.skip)('builds a one-keyframe MP4 that ffprobe and ffmpeg read', async () => {
		const video = init.tracks.find((t) => t.kind === 'video')!;
		const keyframe = fragments
			.flatMap((f) => f.samples)
			.filter((s) => s.trackId === video.id && s.keyframe)
			.at(-1)!;
		expect(keyframe.keyframe).toBe(true);
		const one = Buffer.concat([
			initForTracks(init.data, [video.id]),
			writeFragment(1, [{ trackId: video.id, baseDecodeTime: 0, samples: [keyframe] }])
		]);
		expect(parseInit(one)).toEqual([video]);
		const file = path.join(dir, `one-${CASES.indexOf(c)}.mp4`);
		writeFileSync(file, one);
		const probed = await probe(file, '-count_frames', '-show_streams');
		expect(probed.streams).toHaveLength(1);
		expect(Number(probed.streams[0].nb_read_frames)).toBe(1);
		const jpg = path.join(dir, `one-${CASES.indexOf(c)}.jpg`);
		await run('ffmpeg', ['-v', 'error', '-y', '-i', file, '-frames:v', '1', '-f', 'image2', jpg]);
		expect(statSync(jpg).size).toBeGreaterThan(1000);
	});

	it.skipIf(c.skip)('re-muxes every fragment through writeFragment into a file ffprobe reads the same', async () => {
		const remux = (frags: Fragment[]) => Buffer.concat([init.data, ...frags.map((f, i) => writeFragment(i + 1, groupRuns(f.samples)))]);
		const exact = remux(faithful);
		const again = parts(split(exact, 4, new Fmp4Splitter({ repairTimestamps: false })));
		expectSameSamples(again.fragments.flatMap((f) => f.samples), faithful.flatMap((f) => f.samples));
		const file = path.join(dir, `remux-${CASES.indexOf(c)}.mp4`);
		writeFileSync(file, exact);
		const fields = ['-count_packets', '-show_entries', 'stream=nb_read_packets:packet=stream_index,pts,dts,size,flags'];
		const probed = await probe(file, ...fields);
		expect(probed.streams.map((s: Json) => s.nb_read_packets)).toEqual(streams.map((s) => s.nb_read_packets));
		expect(probed.packets).toEqual(packets);

		// From the repaired samples: same packets, each track's decode times strictly increasing.
		writeFileSync(file, remux(fragments));
		const fixed = await probe(file, ...fields);
		expect(fixed.streams.map((s: Json) => s.nb_read_packets)).toEqual(streams.map((s) => s.nb_read_packets));
		for (const i of init.tracks.keys()) {
			const dts = fixed.packets.filter((p: Json) => p.stream_index === i).map((p: Json) => Number(p.dts));
			expect(dts.every((d: number, k: number) => k === 0 || d > dts[k - 1])).toBe(true);
		}
	});

	it.skipIf(c.skip)('starts over on a new ftyp/moov (an ffmpeg restart)', () => {
		const got = parts(split(Buffer.concat([data, data]), 5));
		expect(got.inits).toHaveLength(2);
		expect(got.fragments).toHaveLength(2 * fragments.length);
		const second = got.fragments.slice(fragments.length).flatMap((f) => f.samples);
		expectSameSamples(second, fragments.flatMap((f) => f.samples));
	});
});

describe('fMP4 splitter on bad input', () => {
	const header = (size: number, type: string) => {
		const b = Buffer.alloc(8);
		b.writeUInt32BE(size, 0);
		b.write(type, 4, 'latin1');
		return b;
	};

	it('throws on random bytes, and keeps throwing', () => {
		const random = rng(42);
		const garbage = Buffer.alloc(1 << 20);
		for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
		const splitter = new Fmp4Splitter();
		expect(() => split(garbage, 6, splitter)).toThrow(/^fMP4: /);
		expect(() => splitter.push(Buffer.from('ftyp'))).toThrow(/^fMP4: /);
	});

	it('throws on a box above 32 MiB before buffering it', () => {
		expect(() => new Fmp4Splitter().push(header(0x7fffffff, 'mdat'))).toThrow(/exceeds the 33554432-byte limit/);
		const large = Buffer.concat([header(1, 'moof'), Buffer.from('00000001000000ff', 'hex')]);
		expect(() => new Fmp4Splitter().push(large)).toThrow(/exceeds/);
		const splitter = new Fmp4Splitter();
		expect(splitter.push(header(100, 'moof'))).toEqual([]);
		expect(() => splitter.push(Buffer.concat([Buffer.alloc(92), header(64 << 20, 'mdat')]))).toThrow(/exceeds/);
	});

	it('throws on malformed sizes', () => {
		expect(() => new Fmp4Splitter().push(header(3, 'ftyp'))).toThrow(/malformed box 'ftyp': size 3/);
		expect(() => new Fmp4Splitter().push(header(0, 'mdat'))).toThrow(/size 0/);
		expect(() => new Fmp4Splitter().push(Buffer.concat([header(1, 'free'), Buffer.alloc(8)]))).toThrow(/largesize 0/);
		expect(() => new Fmp4Splitter().push(header(16, '\x00\x01ab'))).toThrow(/not a box: type 0x0001/);
	});

	it('skips unknown boxes and fragments before an init without buffering them', () => {
		const splitter = new Fmp4Splitter();
		const frees = Buffer.concat(Array.from({ length: 100_000 }, () => header(8, 'free')));
		expect(splitter.push(frees)).toEqual([]);
		expect(splitter.push(header(20 << 20, 'skip'))).toEqual([]);
		for (let i = 0; i < 20; i++) expect(splitter.push(Buffer.alloc((1 << 20) - (i === 19 ? 8 : 0)))).toEqual([]);
		expect(splitter.push(Buffer.concat([header(16, 'moof'), header(8, 'mfhd'), header(8, 'mdat')]))).toEqual([]);
	});

	it('throws on a moof whose samples lie outside its mdat', () => {
		const data = files.get(CASES[0].name)!;
		const splitter = new Fmp4Splitter();
		const { inits, fragments } = parts(splitter.push(data.subarray(0, 20_000)));
		expect(inits).toHaveLength(1);
		const f = fragments[0].data;
		const moofSize = f.readUInt32BE(0);
		// Cut the mdat short: the trun now points past it.
		const bad = Buffer.concat([f.subarray(0, moofSize), header(16, 'mdat'), Buffer.alloc(8)]);
		expect(() => new Fmp4Splitter().push(Buffer.concat([inits[0].data, bad]))).toThrow(/lies outside the mdat/);
	});
});

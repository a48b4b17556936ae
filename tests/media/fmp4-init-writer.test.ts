// writeInit: an init segment from decoder configs alone (as push ingest has
// them), checked on real streams from Debian's ffmpeg against ffmpeg's own
// init and against ffprobe reading a file made of writeInit + writeFragment.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Fmp4Splitter, groupRuns, parseInit, writeFragment, writeInit } from '../../src/lib/server/media/fmp4';
import type { Fragment, InitSegment, TrackInfo } from '../../src/lib/server/media/types';

const run = promisify(execFile);
const encoders = execFileSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
const hasX265 = /\blibx265\b/.test(encoders);
const hasOpus = /\blibopus\b/.test(encoders);

// testsrc2 rounds odd sizes down to even; testsrc does not.
const video = (size: string, source = 'testsrc2') => ['-f', 'lavfi', '-i', `${source}=size=${size}:rate=25`];
const audio = (rate: number, layout: string) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate},aformat=channel_layouts=${layout}`];
const x264 = (profile: string, pixFmt: string, params = '') => [
	...['-c:v', 'libx264', '-profile:v', profile, '-pix_fmt', pixFmt, '-g', '10'],
	...(params ? ['-x264-params', params] : [])
];
const x265 = (pixFmt: string, params = '') => [
	...['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', pixFmt, '-g', '10', '-tag:v', 'hvc1'],
	...['-x265-params', `log-level=error${params ? `:${params}` : ''}`]
];

interface Case {
	name: string;
	args: string[];
	/** What ffprobe must see for the video: the cropped size and the profile. */
	expect: { width: number; height: number; profile: string };
	skip?: boolean;
}

const CASES: Case[] = [
	{
		// 360 = 22.5 macroblocks: coded 640x368, cropped by 4 chroma rows.
		name: 'h264 baseline 640x360 + aac stereo 48 kHz',
		args: [...video('640x360'), ...audio(48000, 'stereo'), ...x264('baseline', 'yuv420p'), '-c:a', 'aac'],
		expect: { width: 640, height: 360, profile: 'Constrained Baseline' }
	},
	{
		// Coded 1920x1088, cropped by 4 chroma rows.
		name: 'h264 high 1920x1080 + aac 5.1 44.1 kHz',
		args: [...video('1920x1080'), ...audio(44100, '5.1'), ...x264('high', 'yuv420p'), '-c:a', 'aac'],
		expect: { width: 1920, height: 1080, profile: 'High' }
	},
	{
		// Field coding (frame_mbs_only 0): map units of 32 lines, 4:2:2 crop unit of 2 lines (4 of them).
		name: 'h264 high 4:2:2 interlaced 1920x1080 + opus stereo',
		args: [
			...video('1920x1080'),
			...audio(48000, 'stereo'),
			...x264('high422', 'yuv422p', 'interlaced=1'),
			...['-flags', '+ildct+ilme', '-c:a', 'libopus']
		],
		expect: { width: 1920, height: 1080, profile: 'High 4:2:2' },
		skip: !hasOpus
	},
	{
		// 4:4:4: crop units of one sample, odd sizes; video only.
		name: 'h264 high 4:4:4 321x241',
		args: [...video('321x241', 'testsrc'), ...x264('high444', 'yuv444p')],
		expect: { width: 321, height: 241, profile: 'High 4:4:4 Predictive' }
	},
	{
		// Coded 656x368 with a conformance window of 7 columns and 3 rows (chroma units).
		name: 'h265 main 642x362 + opus mono',
		args: [...video('642x362'), ...audio(48000, 'mono'), ...x265('yuv420p'), '-c:a', 'libopus'],
		expect: { width: 642, height: 362, profile: 'Main' },
		skip: !hasX265 || !hasOpus
	},
	{
		// Two temporal sub-layers: sub-layer flags and reserved bits in profile_tier_level.
		name: 'h265 main 10 1920x1080, temporal layers + aac mono 16 kHz',
		args: [...video('1920x1080'), ...audio(16000, 'mono'), ...x265('yuv420p10le', 'temporal-layers=1'), '-c:a', 'aac'],
		expect: { width: 1920, height: 1080, profile: 'Main 10' },
		skip: !hasX265
	}
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let dir: string;

async function probe(file: string): Promise<Json[]> {
	const args = ['-v', 'error', '-count_packets', '-count_frames', '-show_streams', '-of', 'json', file];
	const { stdout } = await run('ffprobe', args, { maxBuffer: 64 << 20 });
	return JSON.parse(stdout).streams;
}

/** What ffprobe says of a stream that writeInit must get right. */
const summary = (s: Json) => ({
	codec: s.codec_name,
	tag: s.codec_tag_string,
	profile: s.profile,
	width: s.width,
	height: s.height,
	pixFmt: s.pix_fmt,
	sampleRate: s.sample_rate,
	channels: s.channels,
	packets: s.nb_read_packets,
	frames: s.nb_read_frames
});

/** A track as push ingest describes it: no codec string, no picture size. */
const asPublished = (t: TrackInfo): TrackInfo => ({
	id: t.id,
	kind: t.kind,
	codec: t.codec,
	codecString: '',
	timescale: t.timescale,
	config: t.config,
	...(t.kind === 'audio' ? { sampleRate: t.sampleRate, channels: t.channels } : {})
});

beforeAll(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'vantage-init-writer-'));
});

afterAll(() => {
	if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(CASES)('writeInit on ffmpeg output: $name', (c) => {
	const original = () => path.join(dir, `original-${CASES.indexOf(c)}.mp4`);
	let init: InitSegment;
	let fragments: Fragment[];
	let written: InitSegment;

	beforeAll(async () => {
		if (c.skip) return;
		const args = ['-hide_banner', '-loglevel', 'error', ...c.args, '-t', '1'];
		const flags = ['-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1', '-f', 'mp4', 'pipe:1'];
		const { stdout } = await run('ffmpeg', [...args, ...flags], { encoding: 'buffer', maxBuffer: 64 << 20 });
		writeFileSync(original(), stdout);
		fragments = [];
		for (const e of new Fmp4Splitter().push(stdout)) {
			if (e.type === 'init') init = e.init;
			else fragments.push(e.fragment);
		}
		written = writeInit(init.tracks.map(asPublished));
	});

	it.skipIf(c.skip)('declares the tracks of ffmpeg’s own init: codec strings, sizes, rates, channels, configs', () => {
		expect(written.tracks).toEqual(parseInit(written.data));
		expect(written.tracks).toEqual(init.tracks);
		const v = written.tracks.find((t) => t.kind === 'video')!;
		expect([v.width, v.height]).toEqual([c.expect.width, c.expect.height]);
	});

	it.skipIf(c.skip)('with writeFragment, makes a file ffprobe reads like the original', async () => {
		const remuxed = path.join(dir, `written-${CASES.indexOf(c)}.mp4`);
		writeFileSync(remuxed, Buffer.concat([written.data, ...fragments.map((f, i) => writeFragment(i + 1, groupRuns(f.samples)))]));
		const [theirs, ours] = await Promise.all([probe(original()), probe(remuxed)]);
		expect(ours.map(summary)).toEqual(theirs.map(summary));
		expect(ours[0]).toMatchObject({ width: c.expect.width, height: c.expect.height, profile: c.expect.profile });
		for (const s of ours) expect(Number(s.nb_read_frames)).toBeGreaterThan(0);
	});
});

describe('writeInit input checks', () => {
	it('refuses tracks it cannot describe', () => {
		expect(() => writeInit([])).toThrow(/at least one track/);
		const pcma: TrackInfo = { id: 1, kind: 'audio', codec: 'pcma', codecString: '', timescale: 8000, config: Buffer.of(0) };
		expect(() => writeInit([pcma])).toThrow(/codec 'pcma'/);
		expect(() => writeInit([{ ...pcma, codec: 'aac', config: undefined }])).toThrow(/no decoder configuration/);
	});
});

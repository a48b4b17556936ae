// FLV out of real fMP4 (Debian's ffmpeg, split as ingest splits it) checked
// with ffprobe; and FLV in (ffmpeg's own FLV bytes, and ours) back to tracks
// and frames, as an RTMP publish delivers them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Fmp4Splitter } from '../../src/lib/server/media/fmp4';
import { parseAvcC } from '../../src/lib/server/media/h264';
import {
	FlvError,
	FlvIngest,
	FlvMuxer,
	TAG,
	parseAudioData,
	parseVideoData,
	readFlv,
	hevcConfigBody,
	hevcFrameBody,
	type FlvTracks
} from '../../src/lib/server/media/flv';
import type { Fragment, InitSegment, TrackInfo } from '../../src/lib/server/media/types';

const run = promisify(execFile);
let dir: string;
let init: InitSegment;
let fragments: Fragment[];
let ffmpegFlv: Buffer;

const lavfi = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '3'];
const x264 = ['-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac'];

async function ffprobe(file: string) {
	const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', file], { maxBuffer: 16 << 20 });
	return JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; nb_read_frames?: string }[]; format: { format_name: string } };
}

beforeAll(async () => {
	dir = mkdtempSync(path.join(tmpdir(), 'vantage-flv-'));
	// As ingest runs ffmpeg: fragmented MP4, one fragment per frame.
	const mp4 = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...lavfi, ...x264, '-movflags', 'empty_moov+default_base_moof+frag_every_frame', '-f', 'mp4', 'pipe:1'], {
		encoding: 'buffer',
		maxBuffer: 64 << 20
	});
	const splitter = new Fmp4Splitter();
	fragments = [];
	for (const e of splitter.push(mp4.stdout)) {
		if (e.type === 'init') init = e.init;
		else fragments.push(e.fragment);
	}
	const flv = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...lavfi, ...x264, '-f', 'flv', 'pipe:1'], { encoding: 'buffer', maxBuffer: 64 << 20 });
	ffmpegFlv = flv.stdout;
});

afterAll(() => {
	if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('FLV muxer', () => {
	it('muxes H.264 + AAC samples into an FLV that ffprobe reads whole', async () => {
		const muxer = new FlvMuxer(init.tracks);
		const video = init.tracks.find((t) => t.kind === 'video')!;
		const audio = init.tracks.find((t) => t.kind === 'audio')!;
		const first = fragments.findIndex((f) => f.keyframe);
		const from = fragments.slice(first);
		const flv = Buffer.concat([muxer.start(), ...from.map((f) => muxer.samples(f.samples))]);
		const file = path.join(dir, 'out.flv');
		writeFileSync(file, flv);

		const probe = await ffprobe(file);
		expect(probe.format.format_name).toBe('flv');
		const v = probe.streams.find((s) => s.codec_type === 'video')!;
		const a = probe.streams.find((s) => s.codec_type === 'audio')!;
		expect(v).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
		expect(a).toMatchObject({ codec_name: 'aac', sample_rate: '48000' });
		const videoSamples = from.flatMap((f) => f.samples).filter((s) => s.trackId === video.id);
		const audioSamples = from.flatMap((f) => f.samples).filter((s) => s.trackId === audio.id);
		expect(Number(v.nb_read_frames)).toBe(videoSamples.length);
		expect(videoSamples.length).toBe(75);
		expect(Number(a.nb_read_frames)).toBe(audioSamples.length);

		// The tags themselves: header flags, configuration first, time from 0, composition times kept.
		const { header, tags, trailing } = readFlv(flv);
		expect(header).toEqual({ version: 1, audio: true, video: true });
		expect(trailing).toBe(0);
		expect(tags.slice(0, 3).map((t) => [t.type, t.timestamp])).toEqual([[TAG.SCRIPT, 0], [TAG.VIDEO, 0], [TAG.AUDIO, 0]]);
		const vt = tags.filter((t) => t.type === TAG.VIDEO).map((t) => ({ t: t.timestamp, d: parseVideoData(t.body) }));
		expect(vt[0].d).toEqual({ kind: 'config', codec: 'h264', config: video.config });
		const frames = vt.slice(1);
		expect(frames[0].t).toBe(0);
		expect(frames[0].d).toMatchObject({ kind: 'frame', keyframe: true });
		expect(frames.filter((f) => f.d.kind === 'frame' && f.d.keyframe)).toHaveLength(3);
		expect(frames.every((f, i) => i === 0 || f.t >= frames[i - 1].t)).toBe(true);
		expect(frames.at(-1)!.t).toBe(74 * 40);
		const cts = frames.map((f) => (f.d.kind === 'frame' ? f.d.cts : NaN));
		expect(cts.some((c) => c > 0)).toBe(true); // B-frames: pts after dts
		for (const [i, f] of frames.entries()) {
			const s = videoSamples[i];
			expect(f.d.kind === 'frame' && f.d.data.equals(s.data)).toBe(true);
			expect(cts[i]).toBe(Math.round(((s.dts + s.ctsOffset - videoSamples[0].dts) / video.timescale) * 1000) - f.t);
		}
	});

	it('starts every client at time 0 and skips tracks it cannot carry', () => {
		const opus: TrackInfo = { id: 9, kind: 'audio', codec: 'opus', codecString: 'opus', timescale: 48000, config: Buffer.alloc(11) };
		const video = init.tracks.find((t) => t.kind === 'video')!;
		const muxer = new FlvMuxer([video, opus]);
		expect(muxer.audio).toBeUndefined();
		expect(muxer.fileHeader()).toEqual(Buffer.from('464c5601010000000900000000', 'hex'));
		const later = fragments.filter((f) => f.keyframe)[1];
		const { tags } = readFlv(Buffer.concat([muxer.start(), muxer.samples(later.samples)]));
		expect(tags.map((t) => t.type)).toEqual([TAG.SCRIPT, TAG.VIDEO, TAG.VIDEO]);
		expect(tags[2].timestamp).toBe(0);
	});

	it('refuses a stream without H.264', () => {
		const hevc: TrackInfo = { id: 1, kind: 'video', codec: 'h265', codecString: 'hvc1.1.6.L93.B0', timescale: 90000, config: Buffer.alloc(23) };
		expect(() => new FlvMuxer([hevc])).toThrow(/H\.264 only, not H265/);
		expect(() => new FlvMuxer(init.tracks.filter((t) => t.kind === 'audio'))).toThrow(FlvError);
	});
});

/** Feeds FLV tags to an FlvIngest; what it started with and gave out. */
function ingest(tags: { type: number; timestamp: number; body: Buffer }[], options = {}, metadata?: Record<string, number>) {
	const started: FlvTracks[] = [];
	const stops: string[] = [];
	const video: { data: Buffer; dts: number; pts: number; keyframe: boolean }[] = [];
	const audio: { data: Buffer; pts: number }[] = [];
	const logs: string[] = [];
	const ing = new FlvIngest(
		{
			start: (t) => started.push(t),
			video: (data, dts, pts, keyframe) => video.push({ data, dts, pts, keyframe }),
			audio: (data, pts) => audio.push({ data, pts }),
			stop: (r) => stops.push(r),
			log: (m) => logs.push(m)
		},
		options
	);
	if (metadata) ing.metadata(metadata);
	for (const t of tags) {
		if (t.type === TAG.VIDEO) ing.videoTag(t.timestamp, t.body);
		else if (t.type === TAG.AUDIO) ing.audioTag(t.timestamp, t.body);
	}
	return { started, stops, video, audio, logs, ing };
}

describe('FLV ingest (what an RTMP publish carries)', () => {
	it("turns ffmpeg's own FLV into tracks and frames", () => {
		const { tags } = readFlv(ffmpegFlv);
		const { started, video, audio } = ingest(tags);
		expect(started).toHaveLength(1);
		const t = started[0];
		expect(t.video?.codec).toBe('h264');
		expect(parseAvcC(t.video!.config)).toMatchObject({ nalLengthSize: 4 });
		expect(t.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 1 });
		expect(video).toHaveLength(75);
		expect(video.filter((v) => v.keyframe)).toHaveLength(3);
		expect(video[0]).toMatchObject({ keyframe: true });
		expect(video.some((v) => v.pts > v.dts)).toBe(true);
		expect(audio.length).toBeGreaterThan(130);
		expect(video.every((v, i) => i === 0 || v.dts > video[i - 1].dts)).toBe(true);
	});

	it('reads back what the muxer wrote: same samples, same times', () => {
		const muxer = new FlvMuxer(init.tracks);
		const from = fragments.slice(fragments.findIndex((f) => f.keyframe));
		const { tags } = readFlv(Buffer.concat([muxer.start(), ...from.map((f) => muxer.samples(f.samples))]));
		const { started, video } = ingest(tags);
		const vTrack = init.tracks.find((t) => t.kind === 'video')!;
		expect(started[0].video!.config.equals(vTrack.config!)).toBe(true);
		const samples = from.flatMap((f) => f.samples).filter((s) => s.trackId === vTrack.id);
		expect(video.map((v) => v.data.length)).toEqual(samples.map((s) => s.data.length));
		expect(video.map((v) => Math.round(v.dts * 1000))).toEqual(samples.map((s) => Math.round(((s.dts - samples[0].dts) / vTrack.timescale) * 1000)));
	});

	it('waits for announced audio, then starts; a changed configuration restarts', () => {
		const { tags } = readFlv(ffmpegFlv);
		const vcfg = tags.find((t) => t.type === TAG.VIDEO)!;
		const acfg = tags.find((t) => t.type === TAG.AUDIO)!;
		const frames = tags.filter((t) => t !== vcfg && t !== acfg && t.type !== TAG.SCRIPT);
		// Audio's configuration late: video waits (audio announced), then goes alone after 2 s, then restarts with audio.
		const late = [vcfg, ...frames.filter((t) => t.type === TAG.VIDEO).slice(0, 60), { ...acfg, timestamp: 2400 }];
		const started: FlvTracks[] = [];
		const stops: string[] = [];
		const ing = new FlvIngest({ start: (t) => started.push(t), video: () => {}, audio: () => {}, stop: (r) => stops.push(r) });
		ing.metadata({ audiocodecid: 10, videocodecid: 7 });
		for (const t of late) (t.type === TAG.VIDEO ? ing.videoTag : ing.audioTag).call(ing, t.timestamp, t.body);
		expect(started.map((s) => !!s.audio)).toEqual([false, true]);
		expect(stops).toEqual(['audio configuration changed']);
		// No audio announced: video starts at once.
		const alone = ingest([vcfg, ...frames.filter((t) => t.type === TAG.VIDEO)], {});
		expect(alone.started).toHaveLength(1);
		expect(alone.video).toHaveLength(75);
	});

	it('converts 1-byte NAL lengths and Annex B to 4-byte lengths', () => {
		const sps = Buffer.from('6764001facd9', 'hex');
		const pps = Buffer.from('68ebe3cb', 'hex');
		const avcC1 = Buffer.concat([Buffer.from([1, 0x64, 0, 0x1f, 0xfc | 0]), Buffer.from([0xe1, 0, sps.length]), sps, Buffer.from([1, 0, pps.length]), pps]);
		const idr = Buffer.from('65888480', 'hex');
		const body = (data: Buffer) => Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0]), data]);
		const { started, video } = ingest([
			{ type: TAG.VIDEO, timestamp: 0, body: Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), avcC1]) },
			{ type: TAG.VIDEO, timestamp: 40, body: body(Buffer.concat([Buffer.from([idr.length]), idr])) },
			{ type: TAG.VIDEO, timestamp: 80, body: body(Buffer.concat([Buffer.from([0, 0, 0, 1]), idr])) }
		], {}, { videocodecid: 7 });
		expect(started[0].video!.config[4] & 3).toBe(3);
		const four = Buffer.concat([Buffer.from([0, 0, 0, 4]), idr]);
		expect(video.map((v) => v.data.toString('hex'))).toEqual([four.toString('hex'), four.toString('hex')]);
	});

	it('reads enhanced-RTMP HEVC (hvc1) and refuses codecs it cannot carry', () => {
		const hvcC = Buffer.alloc(23);
		hvcC[0] = 1;
		hvcC[21] = 0xff;
		const frame = Buffer.from('0000000426010203', 'hex');
		const { started, video } = ingest([
			{ type: TAG.VIDEO, timestamp: 0, body: hevcConfigBody(hvcC) },
			{ type: TAG.VIDEO, timestamp: 0, body: hevcFrameBody(frame, true, 40) },
			{ type: TAG.VIDEO, timestamp: 40, body: Buffer.concat([Buffer.from([0xa3]), Buffer.from('hvc1'), frame]) } // CodedFramesX, inter
		], {}, { videocodecid: 12 });
		expect(started[0].video?.codec).toBe('h265');
		expect(video.map((v) => [v.dts, v.pts, v.keyframe])).toEqual([[0, 0.04, true], [0.04, 0.04, false]]);
		expect(parseVideoData(Buffer.concat([Buffer.from([0x90]), Buffer.from('av01'), Buffer.alloc(4)]))).toEqual({ kind: 'unsupported', codec: 'av01' });
		expect(() => ingest([{ type: TAG.VIDEO, timestamp: 0, body: Buffer.from([0x14, 0, 0]) }])).toThrow(/unsupported video codec: On2 VP6/);
		expect(parseAudioData(Buffer.from([0x2f, 0]))).toEqual({ kind: 'unsupported', codec: 'MP3' });
		// Unsupported audio: video goes on alone.
		const mp3 = ingest([{ type: TAG.AUDIO, timestamp: 0, body: Buffer.from([0x2f, 1, 2]) }, { type: TAG.VIDEO, timestamp: 0, body: hevcConfigBody(hvcC) }]);
		expect(mp3.started).toHaveLength(1);
		expect(mp3.logs[0]).toMatch(/MP3 is not supported/);
	});

	it('gives up on a stream with no video configuration', () => {
		const asc = Buffer.from('1190', 'hex'); // AAC LC 48 kHz stereo
		const tags = [{ type: TAG.AUDIO, timestamp: 0, body: Buffer.concat([Buffer.from([0xaf, 0]), asc]) }];
		for (let t = 0; t <= 6000; t += 21) tags.push({ type: TAG.AUDIO, timestamp: t, body: Buffer.from([0xaf, 1, 0x21]) });
		expect(() => ingest(tags)).toThrow(/needs video/);
	});
});

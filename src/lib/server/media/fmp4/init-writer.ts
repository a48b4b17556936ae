// Writes an init segment (ftyp+moov, with mvex for fragments) for tracks known
// only by their decoder configuration, as push ingest has them: the codec
// string and the picture size come out of the config. Pure: no app imports.
import type { InitSegment, TrackInfo } from '../types';
import { box, fullBox, u16, u32, u8 } from './boxes';
import { parseInit } from './init';
import { pictureSize } from './sps';

const zeros = (n: number) => Buffer.alloc(n);
const fixed16 = (n: number) => u32(Math.round(n * 0x10000));
const UNITY_MATRIX = Buffer.concat([0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000].map(u32));
const LANGUAGE_UND = 0x55c4; // ISO 639-2 "und", 5 bits per letter

/**
 * The init segment for these tracks (ids, kinds, codecs, timescales and configs:
 * avcC / hvcC payload, AudioSpecificConfig, dOps payload). The returned tracks
 * are read back from the bytes, so codecString, width and height are filled in.
 */
export function writeInit(tracks: TrackInfo[]): InitSegment {
	if (!tracks.length) throw new Error('fMP4: writeInit needs at least one track');
	const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32(0x200), Buffer.from('isomiso6mp41avc1', 'latin1'));
	const mvhd = fullBox(
		'mvhd',
		0,
		0,
		...[0, 0, 1000, 0].map(u32), // creation, modification, timescale, duration
		u32(0x10000), // rate 1.0
		u16(0x100), // volume 1.0
		zeros(10),
		UNITY_MATRIX,
		zeros(24),
		u32(Math.max(...tracks.map((t) => t.id)) + 1) // next_track_ID
	);
	const trex = tracks.map((t) => fullBox('trex', 0, 0, u32(t.id), u32(1), u32(0), u32(0), u32(0)));
	const data = Buffer.concat([ftyp, box('moov', mvhd, ...tracks.map(trak), box('mvex', ...trex))]);
	return { data, tracks: parseInit(data) };
}

function trak(t: TrackInfo): Buffer {
	if (!t.config?.length) throw new Error(`fMP4: track ${t.id} (${t.codec}) has no decoder configuration`);
	const video = t.kind === 'video';
	const size = video ? (pictureSize(t.codec as 'h264' | 'h265', t.config) ?? { width: t.width ?? 0, height: t.height ?? 0 }) : undefined;

	const tkhd = fullBox(
		'tkhd',
		0,
		0x3, // enabled, in movie
		...[0, 0, t.id, 0, 0].map(u32), // creation, modification, track_ID, reserved, duration
		zeros(8),
		u16(0), // layer
		u16(0), // alternate_group
		u16(video ? 0 : 0x100), // volume
		u16(0),
		UNITY_MATRIX,
		fixed16(size?.width ?? 0),
		fixed16(size?.height ?? 0)
	);
	const mdhd = fullBox('mdhd', 0, 0, ...[0, 0, t.timescale, 0].map(u32), u16(LANGUAGE_UND), u16(0));
	const hdlr = fullBox(
		'hdlr',
		0,
		0,
		u32(0),
		Buffer.from(video ? 'vide' : 'soun', 'latin1'),
		zeros(12),
		Buffer.from(video ? 'VideoHandler\0' : 'SoundHandler\0', 'latin1')
	);
	const header = video ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
	const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
	const stbl = box(
		'stbl',
		fullBox('stsd', 0, 0, u32(1), video ? visualEntry(t, size!) : audioEntry(t)),
		fullBox('stts', 0, 0, u32(0)),
		fullBox('stsc', 0, 0, u32(0)),
		fullBox('stsz', 0, 0, u32(0), u32(0)),
		fullBox('stco', 0, 0, u32(0))
	);
	return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', header, dinf, stbl)));
}

/** SampleEntry: 6 reserved bytes, data_reference_index 1. */
const sampleEntryHeader = () => Buffer.concat([zeros(6), u16(1)]);

function visualEntry(t: TrackInfo, size: { width: number; height: number }): Buffer {
	const [type, configType] =
		t.codec === 'h264' ? ['avc1', 'avcC'] : t.codec === 'h265' ? ['hvc1', 'hvcC'] : unsupported(t);
	return box(
		type,
		sampleEntryHeader(),
		zeros(16), // pre_defined, reserved, pre_defined[3]
		u16(size.width),
		u16(size.height),
		fixed16(72), // horizresolution
		fixed16(72), // vertresolution
		u32(0),
		u16(1), // frame_count
		zeros(32), // compressorname
		u16(0x18), // depth
		u16(0xffff), // pre_defined -1
		box(configType, t.config!)
	);
}

function audioEntry(t: TrackInfo): Buffer {
	let type: string;
	let config: Buffer;
	let channels = t.channels ?? 2;
	let rate = t.sampleRate ?? t.timescale;
	if (t.codec === 'aac') {
		type = 'mp4a';
		config = esds(t.id, t.config!);
	} else if (t.codec === 'opus') {
		// ISO BMFF Opus: channelcount from dOps, samplerate always 48 kHz.
		type = 'Opus';
		config = box('dOps', t.config!);
		channels = t.config![1] || channels;
		rate = 48000;
	} else {
		unsupported(t);
	}
	return box(
		type,
		sampleEntryHeader(),
		zeros(8), // reserved
		u16(channels),
		u16(16), // samplesize
		u32(0), // pre_defined, reserved
		fixed16(rate < 0x10000 ? rate : 0),
		config
	);
}

/** esds with an ES_Descriptor: DecoderConfigDescriptor (MPEG-4 Audio) around the AudioSpecificConfig, SLConfig 2. */
function esds(esId: number, asc: Buffer): Buffer {
	const descriptor = (tag: number, ...body: Buffer[]) => {
		const payload = Buffer.concat(body);
		// Length: 7 bits per byte, high bit = more; always 4 bytes, as ffmpeg writes it.
		const n = payload.length;
		return Buffer.concat([u8(tag), Buffer.of(0x80 | ((n >> 21) & 0x7f), 0x80 | ((n >> 14) & 0x7f), 0x80 | ((n >> 7) & 0x7f), n & 0x7f), payload]);
	};
	const decoderConfig = descriptor(
		0x04,
		u8(0x40), // objectTypeIndication: MPEG-4 Audio
		u8((0x05 << 2) | 1), // streamType audio, upStream 0, reserved 1
		zeros(3), // bufferSizeDB
		u32(0), // maxBitrate
		u32(0), // avgBitrate
		descriptor(0x05, asc)
	);
	const es = descriptor(0x03, u16(esId), u8(0), decoderConfig, descriptor(0x06, u8(0x02)));
	return fullBox('esds', 0, 0, es);
}

function unsupported(t: TrackInfo): never {
	throw new Error(`fMP4: writeInit cannot describe a ${t.kind} track with codec '${t.codec}'`);
}

// The init segment (ftyp+moov): tracks and codecs, trex defaults, per-track
// subsets, and the MIME type for MSE / HLS. Pure: no app imports.
import type { TrackInfo } from '../types';
import { box, child, childrenOf, descend, fullBoxHeader, payloadBytes, root, type Box } from './boxes';

/** Per-track fragment defaults from mvex/trex. */
export interface TrackDefaults {
	trackId: number;
	sampleDescriptionIndex: number;
	duration: number;
	size: number;
	flags: number;
}

function moovOf(data: Buffer): Box {
	const moov = child(data, root(data), 'moov');
	if (!moov) throw new Error('fMP4: init segment has no moov box');
	return moov;
}

/** The tracks (video and audio only) declared by an init segment. */
export function parseInit(data: Buffer): TrackInfo[] {
	const moov = moovOf(data);
	const tracks: TrackInfo[] = [];
	for (const trak of childrenOf(data, moov)) {
		if (trak.type !== 'trak') continue;
		const track = parseTrak(data, trak);
		if (track) tracks.push(track);
	}
	return tracks;
}

function parseTrak(buf: Buffer, trak: Box): TrackInfo | undefined {
	const tkhd = child(buf, trak, 'tkhd');
	const mdhd = descend(buf, trak, 'mdia', 'mdhd');
	const hdlr = descend(buf, trak, 'mdia', 'hdlr');
	const stsd = descend(buf, trak, 'mdia', 'minf', 'stbl', 'stsd');
	if (!tkhd || !mdhd || !hdlr || !stsd) return undefined;

	// hdlr: pre_defined u32, then handler_type.
	const hb = fullBoxHeader(buf, hdlr).body;
	const handler = buf.toString('latin1', hb + 4, hb + 8);
	const kind = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : undefined;
	if (!kind) return undefined;

	const th = fullBoxHeader(buf, tkhd);
	const id = buf.readUInt32BE(th.body + (th.version === 1 ? 16 : 8));
	const mh = fullBoxHeader(buf, mdhd);
	const timescale = buf.readUInt32BE(mh.body + (mh.version === 1 ? 16 : 8));

	// stsd: full box, entry_count u32, then sample entries; the first one describes the track.
	const entry = childrenOf(buf, stsd, 8)[0];
	if (!entry) return undefined;
	const track: TrackInfo = { id, kind, codec: 'other', codecString: entry.type.trim(), timescale };
	if (kind === 'video') parseVisualEntry(buf, entry, track);
	else parseAudioEntry(buf, entry, track);
	return track;
}

// VisualSampleEntry: 8 bytes SampleEntry, 16 pre-defined/reserved, width u16, height u16,
// then 50 more bytes of fixed fields: children start 78 bytes into the payload.
function parseVisualEntry(buf: Buffer, entry: Box, track: TrackInfo): void {
	track.width = buf.readUInt16BE(entry.payload + 24);
	track.height = buf.readUInt16BE(entry.payload + 26);
	const kids = childrenOf(buf, entry, 78);
	if (entry.type === 'avc1' || entry.type === 'avc3') {
		const avcC = kids.find((b) => b.type === 'avcC');
		track.codec = 'h264';
		if (!avcC || avcC.end - avcC.payload < 4) return;
		track.config = payloadBytes(buf, avcC);
		track.codecString = `${entry.type}.${track.config.subarray(1, 4).toString('hex')}`;
	} else if (entry.type === 'hvc1' || entry.type === 'hev1') {
		const hvcC = kids.find((b) => b.type === 'hvcC');
		track.codec = 'h265';
		if (!hvcC || hvcC.end - hvcC.payload < 13) return;
		track.config = payloadBytes(buf, hvcC);
		track.codecString = hevcCodecString(entry.type, track.config);
	}
}

/** RFC 6381 / ISO 14496-15 Annex E string from an hvcC payload, e.g. "hvc1.1.6.L93.B0". */
export function hevcCodecString(fourcc: string, hvcC: Buffer): string {
	const b1 = hvcC[1];
	const space = ['', 'A', 'B', 'C'][b1 >> 6];
	const tier = b1 & 0x20 ? 'H' : 'L';
	const profileIdc = b1 & 0x1f;
	// Compatibility flags are written with their bit order reversed, in hex without leading zeros.
	let compat = hvcC.readUInt32BE(2);
	let reversed = 0;
	for (let i = 0; i < 32; i++, compat >>>= 1) reversed = (reversed << 1) | (compat & 1);
	const level = hvcC[12];
	// Six constraint bytes, trailing zero bytes omitted.
	const constraints = [...hvcC.subarray(6, 12)];
	while (constraints.length && constraints[constraints.length - 1] === 0) constraints.pop();
	const parts = [fourcc, `${space}${profileIdc}`, (reversed >>> 0).toString(16).toUpperCase(), `${tier}${level}`];
	for (const c of constraints) parts.push(c.toString(16).toUpperCase().padStart(2, '0'));
	return parts.join('.');
}

// AudioSampleEntry: 8 bytes SampleEntry, version u16 (QuickTime: 0, 1 or 2), revision u16,
// vendor u32, channelcount u16, samplesize u16, pre-defined u16, reserved u16,
// samplerate u32 (16.16); children at 28, or 44 / 64 for QuickTime versions 1 / 2.
function parseAudioEntry(buf: Buffer, entry: Box, track: TrackInfo): void {
	const p = entry.payload;
	const version = buf.readUInt16BE(p + 8);
	track.channels = buf.readUInt16BE(p + 16);
	track.sampleRate = buf.readUInt32BE(p + 24) >>> 16;
	if (version === 2) {
		track.sampleRate = Math.round(buf.readDoubleBE(p + 32));
		track.channels = buf.readUInt32BE(p + 40);
	}
	if (!track.sampleRate) track.sampleRate = track.timescale;
	const kids = childrenOf(buf, entry, version === 1 ? 44 : version === 2 ? 64 : 28);

	if (entry.type === 'mp4a') {
		const wave = kids.find((b) => b.type === 'wave');
		const esds = kids.find((b) => b.type === 'esds') ?? (wave && child(buf, wave, 'esds'));
		const es = esds ? parseEsds(payloadBytes(buf, esds).subarray(4)) : undefined;
		if (!es) return;
		if (es.objectType === 0x40 && es.config && es.config.length >= 1) {
			track.codec = 'aac';
			track.config = es.config;
			const asc = parseAudioSpecificConfig(es.config);
			track.codecString = `mp4a.40.${asc.objectType}`;
			// The sample entry's channelcount is fixed at 2 for mp4a: the ASC has the real layout.
			if (asc.channels) track.channels = asc.channels;
			if (asc.sampleRate) track.sampleRate = asc.sampleRate;
		} else {
			track.codecString = `mp4a.${es.objectType.toString(16).toUpperCase().padStart(2, '0')}`;
		}
	} else if (entry.type === 'Opus') {
		const dOps = kids.find((b) => b.type === 'dOps');
		track.codec = 'opus';
		track.codecString = 'opus';
		if (dOps) {
			track.config = payloadBytes(buf, dOps);
			if (track.config.length >= 2 && track.config[1]) track.channels = track.config[1];
		}
	} else if (entry.type === 'alaw' || entry.type === 'ulaw') {
		track.codec = entry.type === 'alaw' ? 'pcma' : 'pcmu';
	}
}

/** objectTypeIndication and DecoderSpecificInfo from an ES_Descriptor (esds payload after version/flags). */
function parseEsds(d: Buffer): { objectType: number; config?: Buffer } | undefined {
	// Descriptors: tag u8, then a length of 1-4 bytes, 7 bits each, high bit = more.
	const descriptor = (at: number, end: number) => {
		if (at + 2 > end) return undefined;
		const tag = d[at];
		let len = 0;
		let i = at + 1;
		for (let n = 0; n < 4 && i < end; n++) {
			const b = d[i++];
			len = (len << 7) | (b & 0x7f);
			if (!(b & 0x80)) break;
		}
		return { tag, body: i, end: Math.min(i + len, end) };
	};
	const es = descriptor(0, d.length);
	if (!es || es.tag !== 0x03) return undefined;
	// ES_ID u16, flags u8 (streamDependence → +2, URL → length-prefixed, OCRstream → +2).
	let at = es.body + 2;
	const flags = d[at++];
	if (flags & 0x80) at += 2;
	if (flags & 0x40) at += 1 + (d[at] ?? 0);
	if (flags & 0x20) at += 2;
	const dc = descriptor(at, es.end);
	if (!dc || dc.tag !== 0x04 || dc.body >= dc.end) return undefined;
	const objectType = d[dc.body];
	// objectTypeIndication u8, streamType u8, bufferSizeDB u24, maxBitrate u32, avgBitrate u32.
	const dsi = descriptor(dc.body + 13, dc.end);
	const config = dsi && dsi.tag === 0x05 ? Buffer.from(d.subarray(dsi.body, dsi.end)) : undefined;
	return { objectType, config };
}

export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const AAC_CHANNELS = [0, 1, 2, 3, 4, 5, 6, 8];

/**
 * audioObjectType (5 bits, 31 escapes to 32 + 6 bits), sampling rate (4-bit index,
 * 15 escapes to 24 bits; SBR/PS then give the output rate) and channels of an
 * AudioSpecificConfig (ISO 14496-3).
 */
export function parseAudioSpecificConfig(asc: Buffer): { objectType: number; sampleRate?: number; channels?: number } {
	let bit = 0;
	const read = (n: number) => {
		let v = 0;
		for (let i = 0; i < n; i++, bit++) v = (v << 1) | (((asc[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1);
		return v;
	};
	const objectTypeField = () => {
		const t = read(5);
		return t === 31 ? 32 + read(6) : t;
	};
	const rateField = () => {
		const i = read(4);
		return i === 15 ? read(24) : AAC_SAMPLE_RATES[i];
	};
	const objectType = objectTypeField();
	if (asc.length < 2) return { objectType };
	let sampleRate = rateField();
	const channels = AAC_CHANNELS[read(4)] || undefined;
	if ((objectType === 5 || objectType === 29) && bit + 4 <= asc.length * 8) sampleRate = rateField();
	return { objectType, sampleRate, channels };
}

/** The trex defaults of each track, keyed by track id. */
export function parseTrackDefaults(data: Buffer): Map<number, TrackDefaults> {
	const out = new Map<number, TrackDefaults>();
	const mvex = child(data, moovOf(data), 'mvex');
	if (!mvex) return out;
	for (const trex of childrenOf(data, mvex)) {
		if (trex.type !== 'trex' || trex.end - trex.payload < 24) continue;
		const at = fullBoxHeader(data, trex).body;
		const trackId = data.readUInt32BE(at);
		out.set(trackId, {
			trackId,
			sampleDescriptionIndex: data.readUInt32BE(at + 4),
			duration: data.readUInt32BE(at + 8),
			size: data.readUInt32BE(at + 12),
			flags: data.readUInt32BE(at + 16)
		});
	}
	return out;
}

/** The init segment with only these tracks: other traks and their trex are dropped. */
export function initForTracks(init: Buffer, trackIds: number[]): Buffer {
	const keep = new Set(trackIds);
	const trackIdOf = (b: Box, buf: Buffer) => {
		if (b.type === 'trex') return buf.readUInt32BE(b.payload + 4);
		const tkhd = child(buf, b, 'tkhd');
		if (!tkhd) return -1;
		const h = fullBoxHeader(buf, tkhd);
		return buf.readUInt32BE(h.body + (h.version === 1 ? 16 : 8));
	};
	const out: Buffer[] = [];
	for (const top of childrenOf(init, root(init))) {
		if (top.type !== 'moov') {
			out.push(init.subarray(top.start, top.end));
			continue;
		}
		const moovKids: Buffer[] = [];
		for (const b of childrenOf(init, top)) {
			if (b.type === 'trak') {
				if (keep.has(trackIdOf(b, init))) moovKids.push(init.subarray(b.start, b.end));
			} else if (b.type === 'mvex') {
				const mvexKids = childrenOf(init, b)
					.filter((k) => k.type !== 'trex' || keep.has(trackIdOf(k, init)))
					.map((k) => init.subarray(k.start, k.end));
				moovKids.push(box('mvex', ...mvexKids));
			} else {
				moovKids.push(init.subarray(b.start, b.end));
			}
		}
		out.push(box('moov', ...moovKids));
	}
	return Buffer.concat(out);
}

/** MIME type with codecs for MSE / HLS, e.g. video/mp4; codecs="avc1.64001f,mp4a.40.2". */
export function mimeType(tracks: TrackInfo[]): string {
	const base = tracks.length && tracks.every((t) => t.kind === 'audio') ? 'audio/mp4' : 'video/mp4';
	const codecs = tracks.map((t) => t.codecString).filter(Boolean);
	return codecs.length ? `${base}; codecs="${codecs.join(',')}"` : base;
}

// FLV tags (Adobe FLV spec v10.1 §E, and Enhanced RTMP/FLV v1–v2 for the
// FourCC video header): the file header, tag framing, and the audio/video tag
// bodies that RTMP carries unchanged as its audio (8) and video (9) messages.
// Pure: no app imports.

export class FlvError extends Error {}

export const TAG = { AUDIO: 8, VIDEO: 9, SCRIPT: 18 } as const;

/** Bytes of the file header plus PreviousTagSize0. */
export const FLV_HEADER_SIZE = 13;

/** "FLV", version 1, the audio/video flags, header size 9, then PreviousTagSize0 = 0. */
export function flvHeader(flags: { audio: boolean; video: boolean }): Buffer {
	return Buffer.from([0x46, 0x4c, 0x56, 1, (flags.audio ? 4 : 0) | (flags.video ? 1 : 0), 0, 0, 0, 9, 0, 0, 0, 0]);
}

/** One tag: 11-byte header, body, PreviousTagSize. Timestamps in ms (32-bit, wrapping). */
export function flvTag(type: number, timestampMs: number, body: Buffer): Buffer {
	if (body.length > 0xffffff) throw new FlvError(`FLV: a tag body of ${body.length} bytes does not fit in 24 bits`);
	const ts = ((Math.round(timestampMs) % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
	const out = Buffer.allocUnsafe(11 + body.length + 4);
	out[0] = type;
	out.writeUIntBE(body.length, 1, 3);
	out.writeUIntBE(ts & 0xffffff, 4, 3);
	out[7] = ts >>> 24;
	out.writeUIntBE(0, 8, 3); // StreamID: always 0
	body.copy(out, 11);
	out.writeUInt32BE(11 + body.length, 11 + body.length);
	return out;
}

// ---- video tag bodies ----

export type VideoCodec = 'h264' | 'h265';

export type VideoData =
	/** A decoder configuration: avcC or hvcC payload. */
	| { kind: 'config'; codec: VideoCodec; config: Buffer }
	/** One access unit, length-prefixed NAL units as sent; cts = pts − dts in ms. */
	| { kind: 'frame'; codec: VideoCodec; keyframe: boolean; cts: number; data: Buffer }
	/** End of sequence, a command frame, metadata: nothing to play. */
	| { kind: 'ignore' }
	/** A codec this code does not carry (name for messages). */
	| { kind: 'unsupported'; codec: string };

const LEGACY_VIDEO_CODECS: Record<number, string> = {
	1: 'JPEG',
	2: 'Sorenson H.263',
	3: 'Screen video',
	4: 'On2 VP6',
	5: 'On2 VP6 with alpha',
	6: 'Screen video v2',
	7: 'H.264',
	12: 'H.265'
};

const si24 = (b: Buffer, at: number) => (b.readUIntBE(at, 3) << 8) >> 8;

/** Parses a video tag body (legacy CodecID 7 = AVC, 12 = HEVC as Chinese servers use it, or an enhanced FourCC header). */
export function parseVideoData(body: Buffer): VideoData {
	if (body.length < 1) throw new FlvError('FLV video: empty tag');
	const b0 = body[0];
	if (b0 & 0x80) {
		// Enhanced RTMP: [1 | FrameType:3 | PacketType:4] FourCC:4
		const frameType = (b0 >> 4) & 0x07;
		const packetType = b0 & 0x0f;
		if (body.length < 5) throw new FlvError('FLV video: truncated FourCC header');
		const fourcc = body.toString('latin1', 1, 5);
		if (packetType === 6 || packetType === 7) return { kind: 'unsupported', codec: packetType === 6 ? 'multitrack video' : 'video ModEx packets' };
		const codec: VideoCodec | undefined = fourcc === 'avc1' ? 'h264' : fourcc === 'hvc1' ? 'h265' : undefined;
		if (!codec) return { kind: 'unsupported', codec: /^[\x20-\x7e]{4}$/.test(fourcc) ? fourcc : 'unknown FourCC' };
		if (frameType === 5) return { kind: 'ignore' }; // command frame
		switch (packetType) {
			case 0: // SequenceStart
				return { kind: 'config', codec, config: body.subarray(5) };
			case 1: // CodedFrames: SI24 composition time, then the frame
				if (body.length < 8) throw new FlvError('FLV video: truncated composition time');
				return { kind: 'frame', codec, keyframe: frameType === 1, cts: si24(body, 5), data: body.subarray(8) };
			case 3: // CodedFramesX: composition time 0
				return { kind: 'frame', codec, keyframe: frameType === 1, cts: 0, data: body.subarray(5) };
			default: // 2 SequenceEnd, 4 Metadata, 5 MPEG2TSSequenceStart
				return { kind: 'ignore' };
		}
	}
	const frameType = b0 >> 4;
	const codecId = b0 & 0x0f;
	if (frameType === 5) return { kind: 'ignore' }; // video info/command frame
	if (codecId !== 7 && codecId !== 12) return { kind: 'unsupported', codec: LEGACY_VIDEO_CODECS[codecId] ?? `video codec id ${codecId}` };
	const codec: VideoCodec = codecId === 7 ? 'h264' : 'h265';
	if (body.length < 5) throw new FlvError('FLV video: truncated AVC header');
	switch (body[1]) {
		case 0:
			return { kind: 'config', codec, config: body.subarray(5) };
		case 1:
			return { kind: 'frame', codec, keyframe: frameType === 1, cts: si24(body, 2), data: body.subarray(5) };
		default:
			return { kind: 'ignore' };
	}
}

/** AVC sequence header: keyframe + AVC, packet type 0, composition time 0, the avcC. */
export function avcConfigBody(avcC: Buffer): Buffer {
	return Buffer.concat([Buffer.from([0x17, 0, 0, 0, 0]), avcC]);
}

/** An AVC NALU packet: the AVCC sample as is, with its composition time (ms, SI24). */
export function avcFrameBody(sample: Buffer, keyframe: boolean, ctsMs: number): Buffer {
	const h = Buffer.allocUnsafe(5);
	h[0] = keyframe ? 0x17 : 0x27;
	h[1] = 1;
	h.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, Math.round(ctsMs))), 2, 3);
	return Buffer.concat([h, sample]);
}

/** An enhanced-RTMP HEVC body (`hvc1`): sequence start or coded frames. */
export function hevcConfigBody(hvcC: Buffer): Buffer {
	return Buffer.concat([Buffer.from([0x90]), Buffer.from('hvc1', 'latin1'), hvcC]);
}

export function hevcFrameBody(sample: Buffer, keyframe: boolean, ctsMs: number): Buffer {
	const h = Buffer.allocUnsafe(8);
	h[0] = 0x80 | ((keyframe ? 1 : 2) << 4) | 1;
	h.write('hvc1', 1, 'latin1');
	h.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, Math.round(ctsMs))), 5, 3);
	return Buffer.concat([h, sample]);
}

// ---- audio tag bodies ----

export type AudioData =
	| { kind: 'config'; codec: 'aac'; config: Buffer }
	/** One raw AAC frame (no ADTS header). */
	| { kind: 'frame'; codec: 'aac'; data: Buffer }
	| { kind: 'ignore' }
	| { kind: 'unsupported'; codec: string };

const LEGACY_AUDIO_CODECS: Record<number, string> = {
	0: 'PCM',
	1: 'ADPCM',
	2: 'MP3',
	3: 'PCM (little-endian)',
	4: 'Nellymoser 16 kHz',
	5: 'Nellymoser 8 kHz',
	6: 'Nellymoser',
	7: 'G.711 A-law',
	8: 'G.711 mu-law',
	11: 'Speex',
	14: 'MP3 8 kHz'
};

/** Parses an audio tag body: AAC (SoundFormat 10, or an enhanced `mp4a` header); other codecs come back unsupported. */
export function parseAudioData(body: Buffer): AudioData {
	if (body.length < 1) throw new FlvError('FLV audio: empty tag');
	const format = body[0] >> 4;
	if (format === 9) {
		// Enhanced RTMP v2: [SoundFormat 9 | PacketType:4] FourCC:4
		if (body.length < 5) throw new FlvError('FLV audio: truncated FourCC header');
		const packetType = body[0] & 0x0f;
		const fourcc = body.toString('latin1', 1, 5);
		if (fourcc !== 'mp4a') return { kind: 'unsupported', codec: /^[\x20-\x7e]{4}$/.test(fourcc) ? fourcc : 'unknown FourCC' };
		if (packetType === 0) return { kind: 'config', codec: 'aac', config: body.subarray(5) };
		if (packetType === 1) return { kind: 'frame', codec: 'aac', data: body.subarray(5) };
		if (packetType === 5) return { kind: 'unsupported', codec: 'multitrack audio' };
		return { kind: 'ignore' };
	}
	if (format !== 10) return { kind: 'unsupported', codec: LEGACY_AUDIO_CODECS[format] ?? `audio format ${format}` };
	if (body.length < 2) throw new FlvError('FLV audio: truncated AAC header');
	if (body[1] === 0) return { kind: 'config', codec: 'aac', config: body.subarray(2) };
	if (body[1] === 1) return { kind: 'frame', codec: 'aac', data: body.subarray(2) };
	return { kind: 'ignore' };
}

/** AAC in FLV always says 44 kHz, 16-bit, stereo (0xAF): the AudioSpecificConfig is what counts. */
const AAC_FLAGS = 0xaf;

export function aacConfigBody(asc: Buffer): Buffer {
	return Buffer.concat([Buffer.from([AAC_FLAGS, 0]), asc]);
}

export function aacFrameBody(frame: Buffer): Buffer {
	return Buffer.concat([Buffer.from([AAC_FLAGS, 1]), frame]);
}

// ADTS framing (ISO 14496-3 §1.A.2) of raw AAC frames. MP4 stores AAC frames
// bare, their format in the track's AudioSpecificConfig; a decoder reading a
// byte stream (ffmpeg's `-f aac` on a pipe) needs that format again in a 7-byte
// header before every frame. Pure code.
import { AAC_SAMPLE_RATES } from '../media/fmp4';

/** What an ADTS header repeats from the AudioSpecificConfig. */
export interface AdtsFormat {
	/** MPEG-4 audio object type - 1 (1 = AAC LC). */
	profile: number;
	rateIndex: number;
	channelConfig: number;
}

/**
 * The ADTS fields of an AudioSpecificConfig. HE-AAC (SBR/PS) is framed as its
 * AAC-LC core, as encoders write it in ADTS: the decoder finds the extension
 * in the frames. Throws for what ADTS can't carry (object types beyond 4 such
 * as AAC-LD/ELD, a program config element instead of a channel configuration,
 * a sampling rate without an index). The core fields are read here rather than
 * with fmp4's parseAudioSpecificConfig, which reports the output rate.
 */
export function adtsFormat(asc: Buffer): AdtsFormat {
	let bit = 0;
	const read = (n: number) => {
		if (bit + n > asc.length * 8) throw new Error('AudioSpecificConfig too short');
		let v = 0;
		for (let i = 0; i < n; i++, bit++) v = (v << 1) | ((asc[bit >> 3] >> (7 - (bit & 7))) & 1);
		return v;
	};
	const objectTypeField = () => {
		const t = read(5);
		return t === 31 ? 32 + read(6) : t;
	};
	const rateIndexField = () => {
		const i = read(4);
		return i === 15 ? AAC_SAMPLE_RATES.indexOf(read(24)) : i;
	};
	let objectType = objectTypeField();
	const rateIndex = rateIndexField();
	const channelConfig = read(4);
	if (objectType === 5 || objectType === 29) {
		// Explicit SBR/PS signalling: the extension's rate, then the core's object type.
		rateIndexField();
		objectType = objectTypeField();
	}
	if (objectType < 1 || objectType > 4) throw new Error(`AAC object type ${objectType} has no ADTS framing`);
	if (rateIndex < 0 || rateIndex >= AAC_SAMPLE_RATES.length) throw new Error('AAC sampling rate has no ADTS index');
	if (channelConfig < 1 || channelConfig > 7) throw new Error(`AAC channel configuration ${channelConfig} has no ADTS framing`);
	return { profile: objectType - 1, rateIndex, channelConfig };
}

/** One raw AAC frame behind its 7-byte ADTS header (MPEG-4, no CRC, VBR fullness, one raw data block). */
export function adtsFrame(format: AdtsFormat, frame: Buffer): Buffer {
	const length = 7 + frame.length;
	if (length > 0x1fff) throw new Error(`AAC frame of ${frame.length} bytes is too long for ADTS`);
	const out = Buffer.allocUnsafe(length);
	out[0] = 0xff;
	out[1] = 0xf1;
	out[2] = (format.profile << 6) | (format.rateIndex << 2) | (format.channelConfig >> 2);
	out[3] = ((format.channelConfig & 3) << 6) | (length >> 11);
	out[4] = (length >> 3) & 0xff;
	out[5] = ((length & 7) << 5) | 0x1f;
	out[6] = 0xfc;
	frame.copy(out, 7);
	return out;
}

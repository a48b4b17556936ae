// FLV out of the hub's tracks and samples (HTTP-FLV, WebSocket-FLV): H.264
// video as AVC tags and AAC audio as AAC tags; any other track is left out.
// Times are ms from the first sample muxed, so every client starts at 0.
// Pure: imports only the shared media types.
import type { Sample, TrackInfo } from '../types';
import { EcmaArray, encodeAmf0 } from './amf0';
import { TAG, aacConfigBody, aacFrameBody, avcConfigBody, avcFrameBody, flvHeader, flvTag, FlvError } from './tags';

export class FlvMuxer {
	readonly video: TrackInfo;
	readonly audio?: TrackInfo;
	/** Time origin in seconds: the first muxed sample's decode time. */
	private origin: number | undefined;

	/** Picks the first H.264 track (with its avcC) and the first AAC track (with its AudioSpecificConfig); throws FlvError without H.264. */
	constructor(tracks: readonly TrackInfo[]) {
		const video = tracks.find((t) => t.kind === 'video' && t.codec === 'h264' && t.config && t.config.length >= 7);
		if (!video) {
			const other = tracks.find((t) => t.kind === 'video');
			throw new FlvError(other ? `FLV carries H.264 only, not ${other.codec === 'other' ? other.codecString || 'this codec' : other.codec.toUpperCase()}` : 'no video track');
		}
		this.video = video;
		this.audio = tracks.find((t) => t.kind === 'audio' && t.codec === 'aac' && t.config && t.config.length >= 2);
	}

	/** The track ids whose samples go into the FLV. */
	get trackIds(): number[] {
		return this.audio ? [this.video.id, this.audio.id] : [this.video.id];
	}

	/** The 9-byte file header and PreviousTagSize0. */
	fileHeader(): Buffer {
		return flvHeader({ audio: !!this.audio, video: true });
	}

	/** onMetaData and the decoder configurations (AVC / AAC sequence headers), all at time 0. */
	configTags(): Buffer {
		const meta: Record<string, number | string | boolean> = { videocodecid: 7, encoder: 'Vantage' };
		if (this.video.width) meta.width = this.video.width;
		if (this.video.height) meta.height = this.video.height;
		if (this.audio) {
			meta.audiocodecid = 10;
			if (this.audio.sampleRate) meta.audiosamplerate = this.audio.sampleRate;
			meta.audiosamplesize = 16;
			meta.stereo = (this.audio.channels ?? 2) >= 2;
		}
		const tags = [
			flvTag(TAG.SCRIPT, 0, encodeAmf0('onMetaData', new EcmaArray(meta))),
			flvTag(TAG.VIDEO, 0, avcConfigBody(this.video.config!))
		];
		if (this.audio) tags.push(flvTag(TAG.AUDIO, 0, aacConfigBody(this.audio.config!)));
		return Buffer.concat(tags);
	}

	/** Header and configuration together: what a file or a client starts with. */
	start(): Buffer {
		return Buffer.concat([this.fileHeader(), this.configTags()]);
	}

	/** Tags for the samples of the chosen tracks (others are skipped); empty when none. */
	samples(samples: readonly Sample[]): Buffer {
		const tags: Buffer[] = [];
		for (const s of samples) {
			if (s.trackId === this.video.id) {
				const ts = this.ms(s.dts, this.video.timescale);
				const pts = this.ms(s.dts + s.ctsOffset, this.video.timescale, false);
				tags.push(flvTag(TAG.VIDEO, ts, avcFrameBody(s.data, s.keyframe, pts - ts)));
			} else if (this.audio && s.trackId === this.audio.id) {
				tags.push(flvTag(TAG.AUDIO, this.ms(s.dts, this.audio.timescale), aacFrameBody(s.data)));
			}
		}
		return tags.length === 1 ? tags[0] : Buffer.concat(tags);
	}

	/** A time in ticks as ms from the origin (set by the first call); never negative unless allowed. */
	private ms(ticks: number, timescale: number, clamp = true): number {
		const seconds = ticks / timescale;
		this.origin ??= seconds;
		const ms = Math.round((seconds - this.origin) * 1000);
		return clamp ? Math.max(0, ms) : ms;
	}
}

// FLV audio/video tag bodies (an RTMP publish, or an FLV stream) into tracks
// and frames. Tracks are declared once, up front, so frames are held until the
// decoder configurations are in: the video's always, the audio's when the
// stream has audio (onMetaData says so, or it arrives within a short wait).
// A configuration that changes later ends the tracks and starts new ones.
// Pure: imports only other protocol modules.
import { parseAudioSpecificConfig } from '../fmp4/init';
import { joinLengthPrefixed, splitAnnexB, splitLengthPrefixed } from '../h264/nal';
import { amfObject, type AmfValue } from './amf0';
import { FlvError, parseAudioData, parseVideoData, type VideoCodec } from './tags';

export interface FlvTracks {
	video?: { codec: VideoCodec; config: Buffer /* avcC / hvcC, 4-byte NAL lengths */ };
	audio?: { codec: 'aac'; config: Buffer /* AudioSpecificConfig */; sampleRate: number; channels: number };
}

export interface FlvIngestSink {
	/** The tracks are known: frames follow. */
	start(tracks: FlvTracks): void;
	/** One access unit, 4-byte length-prefixed NAL units; seconds. */
	video(data: Buffer, dts: number, pts: number, keyframe: boolean): void;
	/** One raw AAC frame; seconds. */
	audio(data: Buffer, pts: number): void;
	/** The tracks end (a configuration changed: start() follows). */
	stop(reason: string): void;
	log?(message: string): void;
}

export interface FlvIngestOptions {
	/** How long (ms of stream time) to wait for an announced audio configuration (default 2000), or an unannounced one (default 500). */
	audioWaitMs?: number;
	unannouncedAudioWaitMs?: number;
	/** How long (ms of stream time) to wait for a video configuration before giving up (default 5000). */
	videoWaitMs?: number;
	/** Most frames / bytes held while waiting (defaults 1000 / 16 MiB). */
	maxHeldFrames?: number;
	maxHeldBytes?: number;
}

type Held = { kind: 'video'; ts: number; cts: number; keyframe: boolean; data: Buffer } | { kind: 'audio'; ts: number; data: Buffer };

export class FlvIngest {
	private videoConfig?: FlvTracks['video'];
	private audioConfig?: FlvTracks['audio'];
	/** Whether the stream says it has audio: from onMetaData; false once its codec proves unusable. */
	private audioAnnounced: boolean | undefined;
	private nalLengthSize = 4;
	private started?: FlvTracks;
	private held: Held[] = [];
	private heldBytes = 0;
	private firstTs: number | undefined;
	private warned = new Set<string>();
	private readonly opts: Required<FlvIngestOptions>;

	constructor(
		private readonly sink: FlvIngestSink,
		options: FlvIngestOptions = {}
	) {
		this.opts = {
			audioWaitMs: 2000,
			unannouncedAudioWaitMs: 500,
			videoWaitMs: 5000,
			maxHeldFrames: 1000,
			maxHeldBytes: 16 * 1024 * 1024,
			...options
		};
	}

	get tracks(): FlvTracks | undefined {
		return this.started;
	}

	/** onMetaData (from @setDataFrame or a script tag): only its audio hint is used. */
	metadata(value: AmfValue) {
		const meta = amfObject(value);
		if (!meta || this.audioAnnounced === false) return;
		const audio = meta.audiocodecid;
		this.audioAnnounced = audio !== undefined && audio !== null && audio !== '' && audio !== false;
	}

	/** A video tag body at `timestamp` ms. Throws FlvError on a malformed body or a codec that cannot be carried. */
	videoTag(timestamp: number, body: Buffer) {
		const v = parseVideoData(body);
		if (v.kind === 'ignore') return;
		if (v.kind === 'unsupported') throw new FlvError(`unsupported video codec: ${v.codec} (H.264 or H.265 only)`);
		if (v.kind === 'config') return this.setVideoConfig(v.codec, v.config);
		if (!this.videoConfig || this.videoConfig.codec !== v.codec) return this.warn('video frame before its configuration: dropped');
		const data = this.normalize(v.data);
		if (!data) return;
		this.frame({ kind: 'video', ts: timestamp, cts: v.cts, keyframe: v.keyframe, data });
	}

	/** An audio tag body at `timestamp` ms. Audio in another codec than AAC is dropped (video goes on alone). */
	audioTag(timestamp: number, body: Buffer) {
		const a = parseAudioData(body);
		if (a.kind === 'ignore') return;
		if (a.kind === 'unsupported') {
			this.warn(`audio codec ${a.codec} is not supported (AAC only): publishing video only`);
			this.audioAnnounced = false;
			return this.maybeStart(timestamp);
		}
		if (a.kind === 'config') return this.setAudioConfig(a.config, timestamp);
		if (!this.audioConfig) return;
		if (a.data.length === 0) return;
		this.frame({ kind: 'audio', ts: timestamp, data: a.data });
	}

	private setVideoConfig(codec: VideoCodec, raw: Buffer) {
		const minimum = codec === 'h264' ? 7 : 23;
		if (raw.length < minimum || raw[0] !== 1) throw new FlvError(`malformed ${codec === 'h264' ? 'avcC' : 'hvcC'} in the sequence header`);
		const sizeAt = codec === 'h264' ? 4 : 21;
		const lengthSize = (raw[sizeAt] & 3) + 1;
		if (lengthSize === 3) throw new FlvError('NAL length size 3 is invalid');
		// Samples go out with 4-byte NAL lengths: the configuration says so too.
		const config = Buffer.from(raw);
		config[sizeAt] |= 3;
		if (this.videoConfig && this.videoConfig.codec === codec && this.videoConfig.config.equals(config)) return;
		this.nalLengthSize = lengthSize;
		this.videoConfig = { codec, config };
		this.reconfigure('video configuration changed');
	}

	private setAudioConfig(asc: Buffer, timestamp: number) {
		const info = asc.length >= 2 ? parseAudioSpecificConfig(asc) : undefined;
		if (!info?.sampleRate) {
			this.warn('AAC configuration without a usable sample rate: publishing video only');
			this.audioAnnounced = false;
			return this.maybeStart(timestamp);
		}
		if (this.audioConfig?.config.equals(asc)) return;
		this.audioConfig = { codec: 'aac', config: Buffer.from(asc), sampleRate: info.sampleRate, channels: info.channels ?? 2 };
		this.audioAnnounced = true;
		this.reconfigure('audio configuration changed');
	}

	/** After a configuration arrived: start, or restart with the new tracks. */
	private reconfigure(reason: string) {
		if (!this.started) return this.maybeStart(this.firstTs ?? 0);
		this.sink.stop(reason);
		this.started = undefined;
		this.startNow();
	}

	/** Each sample with 4-byte NAL lengths (Annex B, which some cameras send, is converted); undefined if unusable. */
	private normalize(data: Buffer): Buffer | undefined {
		if (data.length === 0) return undefined;
		try {
			if (this.nalLengthSize === 4) {
				splitLengthPrefixed(data, 4); // validates
				return data;
			}
			return joinLengthPrefixed(splitLengthPrefixed(data, this.nalLengthSize), 4);
		} catch {
			if (data.length > 3 && data[0] === 0 && data[1] === 0 && (data[2] === 1 || (data[2] === 0 && data[3] === 1))) {
				const nals = splitAnnexB(data);
				if (nals.length) return joinLengthPrefixed(nals, 4);
			}
			this.warn('malformed video frame (bad NAL lengths): dropped');
			return undefined;
		}
	}

	private frame(f: Held) {
		this.firstTs ??= f.ts;
		if (this.started) return this.deliver(f);
		this.held.push(f);
		this.heldBytes += f.data.length;
		this.maybeStart(f.ts);
	}

	private maybeStart(now: number) {
		if (this.started) return;
		const waited = now - (this.firstTs ?? now);
		const full = this.held.length >= this.opts.maxHeldFrames || this.heldBytes >= this.opts.maxHeldBytes;
		if (!this.videoConfig) {
			if (full || waited >= this.opts.videoWaitMs) throw new FlvError('no H.264 or H.265 video configuration received: a stream needs video');
			return;
		}
		const audioReady =
			!!this.audioConfig ||
			this.audioAnnounced === false ||
			waited >= (this.audioAnnounced ? this.opts.audioWaitMs : this.opts.unannouncedAudioWaitMs);
		if (audioReady || full) this.startNow();
	}

	private startNow() {
		if (!this.videoConfig) return;
		const tracks: FlvTracks = { video: this.videoConfig };
		if (this.audioConfig) tracks.audio = this.audioConfig;
		this.started = tracks;
		this.sink.start(tracks);
		const held = this.held;
		this.held = [];
		this.heldBytes = 0;
		for (const f of held) this.deliver(f);
	}

	private deliver(f: Held) {
		if (f.kind === 'video') this.sink.video(f.data, f.ts / 1000, (f.ts + f.cts) / 1000, f.keyframe);
		else if (this.started?.audio) this.sink.audio(f.data, f.ts / 1000);
	}

	private warn(message: string) {
		if (this.warned.has(message)) return;
		this.warned.add(message);
		this.sink.log?.(message);
	}
}

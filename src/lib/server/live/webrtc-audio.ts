// The audio of a camera's WebRTC mountpoint. WebRTC's audio is Opus: a camera
// that sends Opus goes straight to the SFU; AAC (what most cameras send, and
// what ingest makes of G.711) is transcoded, by one ffmpeg per camera that
// runs only while at least one WebRTC viewer takes the audio.
import type { Sample, TrackInfo } from '../media/types';
import type { MountAudio, MountSink } from '../sfu/sfu';
import { adtsFormat } from './adts';
import { AacToOpus } from './opus-transcoder';

/** The Opus a mountpoint carries for a camera's audio track; undefined when WebRTC can get none from it. */
export function mountAudioFor(track: TrackInfo | undefined): MountAudio | undefined {
	if (!track || !usable(track)) return undefined;
	return { codec: 'opus', sampleRate: 48000, channels: (track.channels ?? 1) > 1 ? 2 : 1 };
}

function usable(track: TrackInfo): boolean {
	if (track.codec === 'opus') return true;
	if (track.codec !== 'aac' || !track.config) return false;
	try {
		adtsFormat(track.config);
		return true;
	} catch {
		return false; // AAC that can't be piped as ADTS (AAC-ELD, a program config element)
	}
}

export class WebRtcAudio {
	private track?: TrackInfo;
	private sink?: MountSink;
	private transcoder?: AacToOpus;
	/** Viewers taking the audio. */
	private wanted = 0;

	constructor(private readonly cameraId: string) {}

	/** The mountpoint was (re)opened, with this sink, for a stream with this audio track (if any). */
	use(sink: MountSink, track: TrackInfo | undefined) {
		this.transcoder?.stop();
		this.transcoder = undefined;
		this.sink = sink;
		this.track = mountAudioFor(track) ? track : undefined;
		this.update();
	}

	/** Passes on a sample of the camera's audio track; false for other tracks' samples and for audio nobody takes. */
	push(s: Sample): boolean {
		const track = this.track;
		if (!track || s.trackId !== track.id || !this.sink) return false;
		if (track.codec === 'opus') {
			this.sink.pushAudio({ data: s.data, pts: s.dts + s.ctsOffset, timescale: track.timescale });
			return true;
		}
		if (!this.transcoder) return false;
		this.transcoder.push(s);
		return true;
	}

	/** A viewer takes the audio until the returned function is called. */
	want(): () => void {
		this.wanted++;
		this.update();
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.wanted--;
			this.update();
		};
	}

	close() {
		this.sink = undefined;
		this.track = undefined;
		this.update();
	}

	/** Runs the transcoder exactly while an AAC track has viewers taking it. */
	private update() {
		const track = this.wanted > 0 && this.track?.codec === 'aac' ? this.track : undefined;
		if (!track) {
			this.transcoder?.stop();
			this.transcoder = undefined;
		} else if (!this.transcoder) {
			const log = (msg: string) => console.log(`webrtc: camera ${this.cameraId}: ${msg}`);
			this.transcoder = new AacToOpus(track.config!, track.timescale, (p) => this.sink?.pushAudio(p), log);
			this.transcoder.start();
		}
	}
}

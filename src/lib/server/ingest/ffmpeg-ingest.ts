// One ffmpeg per camera pulls the source and remuxes it (-c copy) to
// fragmented MP4 on stdout, one fragment per frame; the hub takes it from
// there. Supervised: restarts forever with backoff 1 s doubling to 30 s.
import ffmpeg from 'fluent-ffmpeg';
import type { Readable } from 'node:stream';
import { Fmp4Splitter } from '../media/fmp4';
import type { Fragment, InitSegment } from '../media/types';
import { inputFor, type InputSpec } from './inputs';

export type IngestState = 'offline' | 'starting' | 'online' | 'error';

export interface IngestSink {
	init(init: InitSegment): void;
	fragment(fragment: Fragment): void;
	state(state: IngestState, error?: string): void;
}

const MIN_BACKOFF = 1000;
const MAX_BACKOFF = 30_000;
// No media for this long: the source is stalled, start over.
const STALL_MS = 15_000;

// Some cameras' codecs can't go into MP4 as they are (G.711 audio, MJPEG
// video): ffmpeg says so at start-up, and we retry transcoding just that.
const AUDIO_UNSUPPORTED = /Could not find tag for codec (pcm_alaw|pcm_mulaw|adpcm|g7|pcm_s16)|codec not currently supported in container.*audio/i;
const VIDEO_UNSUPPORTED = /Could not find tag for codec (mjpeg|mpeg4|vp8|vp9|h263)/i;
// What was learned about a source outlives its ingest (stopped when idle), so
// the next start doesn't open the camera twice to learn it again.
const needsTranscode = new Map<string, { audio: boolean; video: boolean }>();

export class FfmpegIngest {
	private command?: ffmpeg.FfmpegCommand;
	private stopped = true;
	private backoff = MIN_BACKOFF;
	private retryTimer?: NodeJS.Timeout;
	private stallTimer?: NodeJS.Timeout;
	private readonly transcode: { audio: boolean; video: boolean };

	constructor(
		private readonly source: string,
		private readonly sink: IngestSink,
		private readonly log: (line: string) => void = () => {}
	) {
		this.transcode = needsTranscode.get(source) ?? { audio: false, video: false };
	}

	start() {
		if (!this.stopped) return;
		this.stopped = false;
		this.run();
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.retryTimer);
		clearTimeout(this.stallTimer);
		this.command?.kill('SIGKILL');
		this.command = undefined;
		this.sink.state('offline');
	}

	private run() {
		let spec: InputSpec | null;
		try {
			spec = inputFor(this.source);
		} catch (e) {
			this.sink.state('error', (e as Error).message);
			return;
		}
		if (!spec) return;
		this.sink.state('starting');
		const splitter = new Fmp4Splitter();
		let stderr = '';
		let online = false;
		const command = ffmpeg()
			.input(spec.input)
			.inputOptions(['-hide_banner', '-loglevel', 'error', '-fflags', '+genpts', ...spec.options])
			.outputOptions([
				'-map', '0:v:0', '-map', '0:a:0?',
				...this.videoCodec(spec),
				...(this.transcode.audio ? ['-c:a', 'aac', '-b:a', '64k'] : ['-c:a', 'copy']),
				'-f', 'mp4',
				// One fragment per video frame, its audio inside (frag_every_frame mistimes audio in ffmpeg 5.1).
				'-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1',
				'-flush_packets', '1'
			]);
		this.command = command;
		command.on('stderr', (line: string) => {
			if (stderr.length < 8192) stderr += line + '\n';
		});
		command.on('error', (err: Error) => {
			if (this.command !== command) return;
			this.command = undefined;
			clearTimeout(this.stallTimer);
			if (this.stopped) return;
			const reason = lastLine(stderr) || err.message;
			if (!this.transcode.audio && AUDIO_UNSUPPORTED.test(stderr)) this.learn('audio');
			else if (!this.transcode.video && VIDEO_UNSUPPORTED.test(stderr)) this.learn('video');
			this.retry(reason, online);
		});
		command.on('end', () => {
			if (this.command !== command) return;
			this.command = undefined;
			clearTimeout(this.stallTimer);
			if (!this.stopped) this.retry('source ended', online);
		});
		const out = command.pipe() as Readable;
		const armStall = () => {
			clearTimeout(this.stallTimer);
			this.stallTimer = setTimeout(() => {
				this.log(`no media for ${STALL_MS / 1000} s: restarting`);
				command.kill('SIGKILL');
			}, STALL_MS);
		};
		armStall();
		out.on('data', (chunk: Buffer) => {
			if (this.command !== command) return;
			let events;
			try {
				events = splitter.push(chunk);
			} catch (e) {
				stderr += `unreadable ffmpeg output: ${(e as Error).message}\n`;
				command.kill('SIGKILL');
				return;
			}
			for (const ev of events) {
				if (ev.type === 'init') this.sink.init(ev.init);
				else {
					if (!online) {
						online = true;
						this.backoff = MIN_BACKOFF;
						this.sink.state('online');
					}
					this.sink.fragment(ev.fragment);
				}
			}
			armStall();
		});
	}

	private videoCodec(spec: InputSpec): string[] {
		if (spec.encode || this.transcode.video)
			return ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '1M'];
		return ['-c:v', 'copy'];
	}

	/** The camera sends a codec MP4/MSE can't carry: transcode that track from now on, retrying at once. */
	private learn(kind: 'audio' | 'video') {
		this.transcode[kind] = true;
		needsTranscode.set(this.source, this.transcode);
		this.backoff = 0;
	}

	private retry(reason: string, wasOnline: boolean) {
		// ffmpeg quotes the URL in its errors: never pass credentials on.
		reason = reason.replace(/\/\/[^/@\s]+@/g, '//');
		this.sink.state('error', reason);
		this.log(`ingest stopped: ${reason}; retrying in ${this.backoff / 1000} s`);
		const delay = this.backoff;
		if (!wasOnline) this.backoff = Math.min(Math.max(this.backoff * 2, MIN_BACKOFF), MAX_BACKOFF);
		this.retryTimer = setTimeout(() => {
			if (!this.stopped) this.run();
		}, delay);
	}
}

function lastLine(text: string): string {
	const lines = text.trim().split('\n').filter(Boolean);
	return lines[lines.length - 1] ?? '';
}

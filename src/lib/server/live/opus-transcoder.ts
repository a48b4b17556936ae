// AAC → Opus for WebRTC: one ffmpeg for one camera's audio. It reads the hub's
// AAC samples as ADTS on stdin (it never opens the camera) and writes Opus in
// fragmented MP4 on stdout, which Fmp4Splitter turns back into Opus packets.
// Supervised while started: restarted with backoff (0.5 s doubling to 30 s)
// when it dies or stops giving output.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Fmp4Splitter } from '../media/fmp4';
import { OPUS_CLOCK_RATE, opusPacketSamples } from '../media/rtp/opus-packetizer';
import type { Sample } from '../media/types';
import { adtsFormat, adtsFrame, type AdtsFormat } from './adts';

export interface OpusPacket {
	data: Buffer;
	/** On the hub's timeline, in `timescale` units (48 kHz, the Opus RTP clock). */
	pts: number;
	timescale: number;
}

const MIN_BACKOFF = 500;
const MAX_BACKOFF = 30_000;
// A run this long counts as healthy: the next failure starts the backoff over.
const HEALTHY_MS = 10_000;
// This much input (in seconds of audio) without output: ffmpeg hangs; kill it (and restart).
const STALL_S = 10;
// Input ffmpeg hasn't read yet beyond which samples are dropped, not queued.
const MAX_PENDING_BYTES = 256 * 1024;
// A jump in the input timestamps larger than this (in seconds) re-anchors the timeline.
const MAX_DRIFT_S = 0.1;

/**
 * ADTS has no timestamps: ffmpeg's timeline is the samples fed, from 0. An
 * anchor maps it (in input ticks) back to the hub's from a point on; one is
 * set at the start and wherever the hub's timestamps jump (a gap, a restart).
 */
interface Anchor {
	/** Input ticks fed to ffmpeg before the sample that set it. */
	at: number;
	/** Hub time minus ffmpeg time, in input ticks. */
	offset: number;
}

export class AacToOpus {
	private proc?: ChildProcessWithoutNullStreams;
	private stopped = true;
	private backoff = MIN_BACKOFF;
	private retryTimer?: NodeJS.Timeout;
	private readonly format: AdtsFormat;
	private readonly downmix: boolean;
	/** Input ticks written to the current ffmpeg. */
	private fed = 0;
	private anchors: Anchor[] = [];
	/** 48 kHz samples of Opus read from the current ffmpeg. */
	private out = 0;
	private startedAt = 0;
	/** Input ticks written since the last output. */
	private unanswered = 0;

	/** Throws when the AudioSpecificConfig can't be framed as ADTS. */
	constructor(
		asc: Buffer,
		/** Ticks per second of the AAC samples' timestamps. */
		private readonly timescale: number,
		private readonly onPacket: (p: OpusPacket) => void,
		private readonly log: (msg: string) => void = () => {}
	) {
		this.format = adtsFormat(asc);
		// WebRTC's Opus is mono or stereo: more channels are downmixed.
		this.downmix = this.format.channelConfig > 2;
	}

	/** The running ffmpeg's pid, for diagnostics and tests. */
	get pid(): number | undefined {
		return this.proc?.pid;
	}

	start() {
		if (!this.stopped) return;
		this.stopped = false;
		this.run();
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.retryTimer);
		this.proc?.kill('SIGKILL');
		this.proc = undefined;
	}

	/** An AAC sample of the hub (raw frame, no ADTS). */
	push(s: Pick<Sample, 'data' | 'dts' | 'duration'>) {
		const proc = this.proc;
		if (!proc) return;
		if (this.unanswered > STALL_S * this.timescale) {
			this.log(`no Opus from ffmpeg for ${STALL_S} s of audio: restarting it`);
			proc.kill('SIGKILL');
			return;
		}
		if (proc.stdin.writableLength > MAX_PENDING_BYTES) return;
		let frame: Buffer;
		try {
			frame = adtsFrame(this.format, s.data);
		} catch {
			return; // an oversized frame: skip it
		}
		const last = this.anchors[this.anchors.length - 1];
		if (!last || Math.abs(s.dts - (this.fed + last.offset)) > MAX_DRIFT_S * this.timescale) this.anchors.push({ at: this.fed, offset: s.dts - this.fed });
		const duration = s.duration || 1024;
		this.fed += duration;
		this.unanswered += duration;
		proc.stdin.write(frame);
	}

	private run() {
		const args = [
			'-hide_banner', '-loglevel', 'error', '-nostats',
			// ADTS carries its format in every frame: no probing, so the first packets come out at once
			// (ffmpeg then mistimes a few early packets: output times are counted from the packets instead).
			'-probesize', '32', '-analyzeduration', '0', '-f', 'aac', '-i', 'pipe:0',
			'-map', '0:a:0', '-c:a', 'libopus', '-b:a', '48k', ...(this.downmix ? ['-ac', '2'] : []),
			'-f', 'mp4', '-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1', '-flush_packets', '1', 'pipe:1'
		];
		const proc = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
		this.proc = proc;
		this.fed = 0;
		this.anchors = [];
		this.out = 0;
		this.startedAt = Date.now();
		this.unanswered = 0;
		const splitter = new Fmp4Splitter();
		let stderr = '';
		proc.stdin.on('error', () => {}); // EPIPE when it dies: its exit is handled below
		proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-2000)));
		proc.stdout.on('data', (chunk: Buffer) => {
			if (this.proc !== proc) return;
			let events;
			try {
				events = splitter.push(chunk);
			} catch (e) {
				stderr += `unreadable ffmpeg output: ${(e as Error).message}\n`;
				proc.kill('SIGKILL');
				return;
			}
			for (const ev of events) if (ev.type === 'fragment') for (const s of ev.fragment.samples) this.emit(s.data);
		});
		proc.on('error', (e) => (stderr += `${e.message}\n`));
		proc.on('close', (code, signal) => {
			if (this.proc !== proc) return;
			this.proc = undefined;
			if (this.stopped) return;
			if (Date.now() - this.startedAt >= HEALTHY_MS) this.backoff = MIN_BACKOFF;
			const reason = stderr.trim().split('\n').pop() || (signal ? `killed by ${signal}` : `exit ${code}`);
			this.log(`AAC→Opus ffmpeg stopped (${reason}); restarting in ${this.backoff / 1000} s`);
			this.retryTimer = setTimeout(() => !this.stopped && this.run(), this.backoff);
			this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF);
		});
	}

	/** An Opus packet of ffmpeg's output, put back on the hub's timeline. */
	private emit(packet: Buffer) {
		this.unanswered = 0;
		const at = this.out;
		this.out += opusPacketSamples(packet) || 960;
		const atInput = (at * this.timescale) / OPUS_CLOCK_RATE;
		while (this.anchors.length > 1 && this.anchors[1].at <= atInput) this.anchors.shift();
		const offset = this.anchors[0]?.offset ?? 0;
		// On the 48 kHz clock, so the packets' spacing stays exact whatever the AAC rate.
		this.onPacket({ data: packet, pts: at + Math.round((offset * OPUS_CLOCK_RATE) / this.timescale), timescale: OPUS_CLOCK_RATE });
	}
}

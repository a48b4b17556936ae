// Test microphone: ffmpeg encodes a 440 Hz sine with libopus (20 ms packets)
// to fragmented MP4 on stdout in real time; we split it into Opus packets, as
// the hub holds a camera's Opus track.
import { spawn } from 'node:child_process';
import { Fmp4Splitter } from '../../src/lib/server/media/fmp4';

export interface OpusPacket {
	data: Buffer;
	pts: number;
	timescale: number;
}

export interface OpusSource {
	onPacket(cb: (p: OpusPacket) => void): void;
	stop(): Promise<void>;
}

export function startOpusSource(): OpusSource {
	const args = [
		'-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
		'-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
		'-ac', '1', '-c:a', 'libopus', '-b:a', '32k',
		'-f', 'mp4', '-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1', '-flush_packets', '1', 'pipe:1'
	];
	const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	const splitter = new Fmp4Splitter();
	const listeners: ((p: OpusPacket) => void)[] = [];
	let timescale = 48000;
	proc.stdout.on('data', (chunk: Buffer) => {
		for (const ev of splitter.push(chunk)) {
			if (ev.type === 'init') timescale = ev.init.tracks[0].timescale;
			else for (const s of ev.fragment.samples) for (const l of listeners) l({ data: s.data, pts: s.dts + s.ctsOffset, timescale });
		}
	});
	proc.stderr.on('data', () => {});
	return {
		onPacket: (cb) => listeners.push(cb),
		stop: () =>
			new Promise<void>((resolve) => {
				if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
				proc.once('exit', () => resolve());
				proc.kill('SIGKILL');
			})
	};
}

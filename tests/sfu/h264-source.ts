// Test camera: ffmpeg encodes testsrc2 to H.264 Annex-B on stdout in real time;
// we split it into access units and convert them to AVCC samples (4-byte
// NAL lengths), with an avcC built from the first SPS/PPS, as ingest would.
import { spawn, type ChildProcess } from 'node:child_process';
import { buildAvcC } from '../../src/lib/server/media/h264/avcc';
import { H264_NAL, H264AnnexBSplitter, h264NalType, joinLengthPrefixed } from '../../src/lib/server/media/h264/nal';

export interface AvccSample {
	data: Buffer;
	dts: number;
	ctsOffset: number;
	timescale: number;
	keyframe: boolean;
}

export interface H264Source {
	/** Resolves with the avcC once the first SPS and PPS were seen. */
	avcC: Promise<Buffer>;
	onSample(cb: (s: AvccSample) => void): void;
	stop(): Promise<void>;
	process: ChildProcess;
}

export function startH264Source(opts: { width?: number; height?: number; fps?: number; gop?: number; realtime?: boolean; frames?: number } = {}): H264Source {
	const { width = 1280, height = 720, fps = 30, gop = 30, realtime = true } = opts;
	const args = [
		'-hide_banner', '-loglevel', 'error', '-nostdin',
		...(realtime ? ['-re'] : []),
		'-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
		...(opts.frames ? ['-frames:v', String(opts.frames)] : []),
		'-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
		'-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-b:v', '2M',
		'-bsf:v', 'h264_mp4toannexb', '-f', 'h264', 'pipe:1'
	];
	const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	const splitter = new H264AnnexBSplitter();
	const listeners: ((s: AvccSample) => void)[] = [];
	let sps: Buffer | null = null;
	let pps: Buffer | null = null;
	let resolveConfig!: (b: Buffer) => void;
	const avcC = new Promise<Buffer>((r) => (resolveConfig = r));
	let frame = 0;
	const timescale = 90000;
	const emit = (au: Buffer[]) => {
		for (const n of au) {
			if (!sps && h264NalType(n) === H264_NAL.SPS) sps = Buffer.from(n);
			if (!pps && h264NalType(n) === H264_NAL.PPS) pps = Buffer.from(n);
		}
		if (sps && pps && frame === 0) resolveConfig(buildAvcC([sps], [pps]));
		if (!au.some((n) => { const t = h264NalType(n); return t >= 1 && t <= 5; })) return;
		const s: AvccSample = {
			data: joinLengthPrefixed(au),
			dts: Math.round((frame * timescale) / fps),
			ctsOffset: 0,
			timescale,
			keyframe: au.some((n) => h264NalType(n) === H264_NAL.IDR)
		};
		frame++;
		for (const l of listeners) l(s);
	};
	proc.stdout!.on('data', (chunk: Buffer) => splitter.push(chunk).forEach(emit));
	proc.stdout!.on('end', () => splitter.flush().forEach(emit));
	let stderr = '';
	proc.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
	let stopping = false;
	proc.on('exit', (code) => {
		if (code && !stopping) console.error(`ffmpeg exited ${code}: ${stderr}`);
	});
	return {
		avcC,
		process: proc,
		onSample: (cb) => listeners.push(cb),
		stop: () =>
			new Promise<void>((resolve) => {
				stopping = true;
				if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
				proc.once('exit', () => resolve());
				proc.kill('SIGTERM');
				setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
			})
	};
}

// The cached keyframe as a self-contained one-frame MP4 (/api/proxy/frame,
// WS "mp4" mode) and as a JPEG (/api/proxy/frame.jpeg, snapshots).
import { spawn } from 'node:child_process';
import { initForTracks, writeFragment } from '../media/fmp4';
import type { InitSegment, Sample, TrackInfo } from '../media/types';

export function keyframeMp4(k: { init: InitSegment; track: TrackInfo; sample: Sample }): Buffer {
	return Buffer.concat([
		initForTracks(k.init.data, [k.track.id]),
		writeFragment(1, [{ trackId: k.track.id, baseDecodeTime: 0, samples: [{ ...k.sample, dts: 0, ctsOffset: 0 }] }])
	]);
}

/** Decodes a one-frame MP4 to JPEG with ffmpeg. */
export function mp4ToJpeg(mp4: Buffer, timeoutMs = 10_000): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'mp4', '-i', 'pipe:0', '-frames:v', '1', '-q:v', '4', '-f', 'mjpeg', 'pipe:1'], {
			stdio: ['pipe', 'pipe', 'pipe']
		});
		const out: Buffer[] = [];
		let err = '';
		const timer = setTimeout(() => ff.kill('SIGKILL'), timeoutMs);
		ff.stdout.on('data', (d: Buffer) => out.push(d));
		ff.stderr.on('data', (d: Buffer) => (err += d));
		ff.on('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
		ff.on('close', (code) => {
			clearTimeout(timer);
			if (code === 0 && out.length) resolve(Buffer.concat(out));
			else reject(new Error(`jpeg encode failed: ${err.trim() || `exit ${code}`}`));
		});
		ff.stdin.on('error', () => {});
		ff.stdin.end(mp4);
	});
}

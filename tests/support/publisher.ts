// ffmpeg as a pushing device: a 640x360 test pattern (H.264, 1 s GOP, and AAC
// for RTMP) published in real time over RTMP (flv) or RTSP (ANNOUNCE/RECORD, TCP).
import { spawn, type ChildProcess } from 'node:child_process';

export interface Publishing {
	proc: ChildProcess;
	done: Promise<{ code: number | null; stderr: string }>;
}

/** Publishes to `url` (rtmp:// or rtsp://) for `seconds`, or until killed. */
export function publishTestStream(url: string, seconds?: number): Publishing {
	const rtsp = url.startsWith('rtsp');
	const args = [
		...['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25'],
		...(rtsp ? [] : ['-f', 'lavfi', '-i', 'sine']),
		...(seconds ? ['-t', String(seconds)] : []),
		...['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p'],
		...(rtsp ? ['-f', 'rtsp', '-rtsp_transport', 'tcp', url] : ['-c:a', 'aac', '-f', 'flv', url])
	];
	const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
	let stderr = '';
	proc.stderr!.on('data', (d) => (stderr += d));
	const done = new Promise<{ code: number | null; stderr: string }>((resolve) => proc.on('close', (code) => resolve({ code, stderr })));
	return { proc, done };
}

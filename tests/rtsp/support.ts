// The RTSP server without the app: a hub stream fed by a real ffmpeg (the way
// ingest feeds it: fragmented MP4, one fragment per frame), and a fake backend
// with users, rights and a publish path that records what it is given.
import { spawn, type ChildProcess } from 'node:child_process';
import { CameraStream } from '../../src/lib/server/hub/stream';
import type { Consumer } from '../../src/lib/server/hub/stream';
import { Fmp4Splitter } from '../../src/lib/server/media/fmp4';
import { RtspStatusError, type PublishTarget, type PublishTracks, type Publisher, type RtspBackend, type Viewer } from '../../src/lib/server/rtsp/backend';

export interface LiveFeed {
	stream: CameraStream;
	stop(): void;
	/** Fragments pushed so far. */
	fragments(): number;
}

/** ffmpeg encoding a test pattern (and optionally a tone) live into a CameraStream. */
export function liveFeed(id: string, opts: { codec?: 'h264' | 'h265'; audio?: 'aac' | 'opus'; size?: string; bframes?: number } = {}): LiveFeed {
	const stream = new CameraStream(id);
	const size = opts.size ?? '320x240';
	const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`];
	if (opts.audio) args.push('-re', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000`);
	args.push('-map', '0:v');
	if (opts.audio) args.push('-map', '1:a');
	if (opts.codec === 'h265') args.push('-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:bframes=0:log-level=error', '-pix_fmt', 'yuv420p');
	else args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', String(opts.bframes ?? 0), '-pix_fmt', 'yuv420p');
	if (opts.audio === 'aac') args.push('-c:a', 'aac', '-b:a', '64k');
	if (opts.audio === 'opus') args.push('-c:a', 'libopus', '-b:a', '48k');
	args.push('-f', 'mp4', '-movflags', 'empty_moov+default_base_moof', '-frag_duration', '1', '-flush_packets', '1', 'pipe:1');
	const child: ChildProcess = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	const splitter = new Fmp4Splitter();
	let count = 0;
	stream.setState('starting');
	child.stdout!.on('data', (chunk: Buffer) => {
		for (const ev of splitter.push(chunk)) {
			if (ev.type === 'init') stream.pushInit(ev.init);
			else {
				if (stream.status.state !== 'online') stream.setState('online');
				count++;
				stream.pushFragment(ev.fragment);
			}
		}
	});
	child.stderr!.on('data', (d) => process.stderr.write(`feed ${id}: ${d}`));
	return { stream, stop: () => child.kill('SIGKILL'), fragments: () => count };
}

export interface PublishRecord {
	target: PublishTarget;
	tracks: PublishTracks;
	remoteAddress: string;
	video: { bytes: number; dts: number; pts: number; keyframe: boolean }[];
	audio: { bytes: number; pts: number }[];
	closed?: string;
	/** The access units as given (AVCC). */
	videoData: Buffer[];
}

export interface FakeApp {
	backend: RtspBackend;
	streams: Map<string, CameraStream>;
	/** username → { password, cameras they may see ('*' = all) } */
	users: Map<string, { password: string; cameras: string[] | '*' }>;
	pushKeys: Map<string, string>;
	publishes: PublishRecord[];
	consumers(id: string): Consumer[];
	userChecks: number;
}

export function fakeApp(): FakeApp {
	const streams = new Map<string, CameraStream>();
	const users = new Map<string, { password: string; cameras: string[] | '*' }>();
	const pushKeys = new Map<string, string>();
	const publishes: PublishRecord[] = [];
	const publishing = new Set<string>();
	const app: FakeApp = {
		streams,
		users,
		pushKeys,
		publishes,
		userChecks: 0,
		consumers: (id) => [...(streams.get(id)?.consumers ?? [])],
		backend: {
			async checkUser(username, password): Promise<Viewer> {
				app.userChecks++;
				const u = users.get(username);
				if (!u || u.password !== password) throw new RtspStatusError(401, 'invalid username or password');
				return { kind: 'user', username, principal: u };
			},
			async open(viewer, id) {
				const stream = streams.get(id);
				if (!stream) throw new RtspStatusError(404, 'camera not found');
				if (viewer.kind === 'user') {
					const cams = (viewer.principal as { cameras: string[] | '*' }).cameras;
					if (cams !== '*' && !cams.includes(id)) throw new RtspStatusError(404, 'camera not found');
				}
				const deadline = Date.now() + 10_000;
				while (!stream.keyframe() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
				if (!stream.keyframe()) throw new RtspStatusError(503, 'camera is offline');
				return stream;
			},
			attach(id, consumer) {
				const s = streams.get(id)!;
				s.addConsumer(consumer);
				return () => s.removeConsumer(consumer);
			},
			async authorizePublish(path, who) {
				const id = path.split('/').pop()!;
				if (!('key' in who) || !pushKeys.has(id) || pushKeys.get(id) !== who.key) throw new RtspStatusError(403, 'unknown stream or wrong key');
				if (publishing.has(id)) throw new RtspStatusError(453, 'another publisher is already publishing to this camera');
				return { id };
			},
			startPublish(target, tracks, remoteAddress): Publisher {
				if (publishing.has(target.id)) throw new RtspStatusError(453, 'another publisher is already publishing to this camera');
				publishing.add(target.id);
				const rec: PublishRecord = { target, tracks, remoteAddress, video: [], audio: [], videoData: [] };
				publishes.push(rec);
				return {
					video(data, dts, pts, keyframe) {
						rec.video.push({ bytes: data.length, dts, pts, keyframe });
						if (rec.videoData.length < 2000) rec.videoData.push(data);
					},
					audio(data, pts) {
						rec.audio.push({ bytes: data.length, pts });
					},
					close(reason) {
						if (rec.closed !== undefined) return;
						rec.closed = reason ?? '';
						publishing.delete(target.id);
					}
				};
			}
		}
	};
	return app;
}

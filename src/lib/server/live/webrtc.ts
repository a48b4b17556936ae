// WebRTC viewers through the SFU: one mountpoint per watched camera, fed from
// the hub's video and audio samples (audio as Opus: see webrtc-audio.ts),
// closed a while after its last viewer leaves.
import { Sfu, type MountSink, type WebRtcViewer } from '../sfu/sfu';
import { config } from '../config';
import { live } from '../hub/live';
import type { CameraStream, Consumer } from '../hub/stream';
import type { InitSegment } from '../media/types';
import { WebRtcAudio, mountAudioFor } from './webrtc-audio';

const MOUNT_IDLE_MS = 30_000;

let sfu: Sfu | undefined;
let sfuReady: Promise<void> | undefined;

/** Starts the SFU (Janus) at server start, so the first viewer doesn't wait for it. */
export function startSfu() {
	sfu = new Sfu({ dataDir: config.dataDir, janusUrl: process.env.JANUS_URL || undefined, log: (m) => console.log(`sfu: ${m}`) });
	sfuReady = sfu.start().catch((e) => {
		console.error(`sfu: not available: ${(e as Error).message}`);
		throw e;
	});
	sfuReady.catch(() => {});
}

export async function stopSfu() {
	for (const m of mounts.values()) await m.close();
	await sfu?.stop();
}

interface Mount {
	viewers: number;
	audio: WebRtcAudio;
	idle?: NodeJS.Timeout;
	close(): Promise<void>;
	ready: Promise<void>;
}

const mounts = new Map<string, Mount>();

/** Closes an unwatched mountpoint after a while, unless its camera is keepalive: those stay warm for a fast first frame. */
function scheduleClose(id: string, mount: Mount) {
	mount.idle = setTimeout(() => {
		if (mount.viewers > 0) return;
		if (live.isKeepalive(id)) scheduleClose(id, mount);
		else void mount.close();
	}, MOUNT_IDLE_MS);
}

function video(init: InitSegment) {
	const track = init.tracks.find((t) => t.kind === 'video');
	if (!track?.config || (track.codec !== 'h264' && track.codec !== 'h265')) return undefined;
	return { track, codec: track.codec, config: track.config };
}

/** The camera's mountpoint, opened on first use; its sink follows the stream's init changes. */
function mountFor(stream: CameraStream): Mount {
	const existing = mounts.get(stream.id);
	if (existing) return existing;
	let sink: MountSink | undefined;
	const audio = new WebRtcAudio(stream.id);
	let trackId = 0;
	let timescale = 90_000;
	let opened = false;
	// Opens run one after another: a new init while one is opening waits its turn.
	let opening: Promise<void> = Promise.resolve();
	const reopen = (init: InitSegment) => (opening = opening.catch(() => {}).then(() => open(init)));
	const open = async (init: InitSegment) => {
		const v = video(init);
		if (!v) throw new Error(`WebRTC needs H.264 or H.265 video, this camera sends ${init.tracks.find((t) => t.kind === 'video')?.codecString ?? 'no video'}`);
		await sink?.close();
		trackId = v.track.id;
		timescale = v.track.timescale;
		const a = init.tracks.find((t) => t.kind === 'audio');
		sink = await sfu!.openMount(stream.id, { codec: v.codec, config: v.config }, mountAudioFor(a));
		audio.use(sink, a);
	};
	const consumer: Consumer = {
		protocol: 'sfu',
		remoteAddress: 'janus',
		startedAt: new Date(),
		bytes: 0,
		onInit: (init) => {
			if (opened) reopen(init).catch((e) => console.error(`sfu: camera ${stream.id}: ${e.message}`));
		},
		onFragment: (f) => {
			if (!sink) return;
			for (const s of f.samples) {
				if (s.trackId === trackId) sink.pushVideo({ data: s.data, dts: s.dts, ctsOffset: s.ctsOffset, timescale, keyframe: s.keyframe });
				else if (!audio.push(s)) continue;
				consumer.bytes += s.data.length;
			}
		}
	};
	const detach = live.attach(stream.id, consumer);
	const mount: Mount = {
		viewers: 0,
		audio,
		ready: (async () => {
			if (!sfuReady) throw new Error('SFU not started');
			await sfuReady;
			const init = stream.init ?? (await new Promise<InitSegment>((resolve) => stream.once('init', resolve)));
			await reopen(init);
			opened = true;
		})(),
		close: async () => {
			mounts.delete(stream.id);
			clearTimeout(mount.idle);
			detach();
			audio.close();
			await sink?.close();
		}
	};
	mount.ready.catch(() => void mount.close());
	mounts.set(stream.id, mount);
	return mount;
}

/** A WebRTC viewer of a camera from the browser's offer; the answer is in the result. */
export async function watch(stream: CameraStream, offer: string, remoteAddress: string): Promise<WebRtcViewer> {
	const mount = mountFor(stream);
	mount.viewers++;
	clearTimeout(mount.idle);
	const viewerConsumer: Consumer = { protocol: 'webrtc', remoteAddress, startedAt: new Date(), bytes: 0, onFragment: () => {} };
	const detach = live.attach(stream.id, viewerConsumer);
	const leave = () => {
		detach();
		if (--mount.viewers === 0) scheduleClose(stream.id, mount);
	};
	try {
		await mount.ready;
		const viewer = await sfu!.watch(stream.id, offer);
		viewer.onClose(leave);
		if (viewer.audio) viewer.onClose(mount.audio.want());
		return viewer;
	} catch (e) {
		leave();
		throw e;
	}
}

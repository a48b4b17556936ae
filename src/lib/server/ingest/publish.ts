// Push ingest: a device publishes to us (RTMP publish, RTSP ANNOUNCE/RECORD)
// instead of us pulling from it. The protocol servers parse their protocol and
// hand samples here; this turns them into the same init segment + per-frame
// fragments that pulled cameras produce, so a pushed camera plays everywhere.
import { timingSafeEqual } from 'node:crypto';
import { db } from '../db/client';
import { writeFragment, writeInit } from '../media/fmp4';
import type { Sample, TrackInfo } from '../media/types';
import { live } from '../hub/live';
import { CAMERA_ID, type Camera } from '../cameras/cameras';

export interface PublishTracks {
	video?: { codec: 'h264' | 'h265'; config: Buffer /* avcC / hvcC payload */ };
	audio?: { codec: 'aac' | 'opus'; config: Buffer /* AudioSpecificConfig / dOps payload */; sampleRate: number; channels: number };
}

export interface Publisher {
	/** One access unit: AVCC/HVCC (4-byte length-prefixed NAL units). Times in seconds from any origin, monotonic. */
	video(data: Buffer, dts: number, pts: number, keyframe: boolean): void;
	/** One raw AAC frame (no ADTS) or Opus packet; time in seconds. */
	audio(data: Buffer, pts: number): void;
	/** The publisher went away or failed: the camera goes offline. */
	close(reason?: string): void;
}

export class PublishError extends Error {
	constructor(
		readonly code: 'not-found' | 'forbidden' | 'busy' | 'bad-request',
		message: string
	) {
		super(message);
	}
}

const publishing = new Set<string>();

/** The push camera behind a publish path (its id) if `key` is its key. Wrong or unknown: the same "forbidden". */
export async function authorizePublish(path: string, key: string | null | undefined): Promise<Camera> {
	const id = path.replace(/^\/+|\/+$/g, '').split('/').pop() ?? '';
	const camera = CAMERA_ID.test(id) ? await db.camera.findUnique({ where: { id } }) : null;
	const expected = camera?.pushKey;
	const ok = !!expected && !!key && key.length === expected.length && timingSafeEqual(Buffer.from(key), Buffer.from(expected));
	if (!camera || camera.source !== 'push' || !ok) throw new PublishError('forbidden', 'unknown stream or wrong key');
	if (!camera.enabled) throw new PublishError('forbidden', 'camera is disabled');
	if (publishing.has(camera.id)) throw new PublishError('busy', 'another publisher is already publishing to this camera');
	return camera;
}

const VIDEO_TRACK = 1;
const AUDIO_TRACK = 2;
const VIDEO_TIMESCALE = 90_000;

/** Starts publishing to an authorized camera; a second publisher for the same camera is refused. */
export function startPublish(camera: Camera, tracks: PublishTracks, remoteAddress: string, protocol: 'rtmp' | 'rtsp'): Publisher {
	if (publishing.has(camera.id)) throw new PublishError('busy', 'another publisher is already publishing to this camera');
	const stream = live.stream(camera.id);
	if (!stream) throw new PublishError('not-found', 'camera not available');
	if (!tracks.video) throw new PublishError('bad-request', 'a published stream needs a video track (H.264 or H.265)');
	publishing.add(camera.id);

	const info: TrackInfo[] = [
		{ id: VIDEO_TRACK, kind: 'video', codec: tracks.video.codec, codecString: '', timescale: VIDEO_TIMESCALE, config: tracks.video.config }
	];
	if (tracks.audio)
		info.push({
			id: AUDIO_TRACK,
			kind: 'audio',
			codec: tracks.audio.codec,
			codecString: '',
			timescale: tracks.audio.sampleRate,
			sampleRate: tracks.audio.sampleRate,
			channels: tracks.audio.channels,
			config: tracks.audio.config
		});
	const init = writeInit(info);
	stream.setState('starting');
	stream.pushInit(init);
	const publisherConsumer = { protocol: `${protocol}-publish`, remoteAddress, startedAt: new Date(), bytes: 0, onFragment: () => {} };
	const detach = live.attach(camera.id, publisherConsumer);

	let sequence = 0;
	let origin: number | undefined;
	let sawKeyframe = false;
	// Each sample waits for the next one of its track, which gives its duration.
	const pending = new Map<number, Sample>();
	const emit = (trackId: number, next: Sample) => {
		const prev = pending.get(trackId);
		pending.set(trackId, next);
		if (!prev) return;
		prev.duration = Math.max(1, next.dts - prev.dts);
		const data = writeFragment(++sequence, [{ trackId, baseDecodeTime: prev.dts, samples: [prev] }]);
		publisherConsumer.bytes += data.length;
		if (stream.status.state !== 'online') stream.setState('online');
		stream.pushFragment({ data, samples: [prev], keyframe: trackId === VIDEO_TRACK && prev.keyframe });
	};
	const ticks = (seconds: number, timescale: number) => {
		origin ??= seconds;
		return Math.max(0, Math.round((seconds - origin) * timescale));
	};
	let closed = false;
	return {
		video(data, dts, pts, keyframe) {
			if (closed) return;
			sawKeyframe ||= keyframe;
			if (!sawKeyframe) return;
			const d = ticks(dts, VIDEO_TIMESCALE);
			emit(VIDEO_TRACK, { trackId: VIDEO_TRACK, dts: d, ctsOffset: Math.round((pts - dts) * VIDEO_TIMESCALE), duration: 0, keyframe, data });
		},
		audio(data, pts) {
			if (closed || !tracks.audio || !sawKeyframe) return;
			const d = ticks(pts, tracks.audio.sampleRate);
			emit(AUDIO_TRACK, { trackId: AUDIO_TRACK, dts: d, ctsOffset: 0, duration: 0, keyframe: true, data });
		},
		close(reason) {
			if (closed) return;
			closed = true;
			publishing.delete(camera.id);
			detach();
			stream.setState('offline', reason);
		}
	};
}

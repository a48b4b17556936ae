// Push ingest: a device publishes to us (RTMP publish, RTSP ANNOUNCE/RECORD)
// instead of us pulling from it. The protocol servers parse their protocol and
// hand samples here; this turns them into the same init segment + per-frame
// fragments that pulled cameras produce, so a pushed camera plays everywhere.
import { timingSafeEqual } from 'node:crypto';
import { db } from '../db/client';
import { writeFragment, writeInit } from '../media/fmp4';
import type { Sample, TrackInfo } from '../media/types';
import { live } from '../hub/live';
import { CAMERA_ID, createCamera, type Camera } from '../cameras/cameras';
import { ApiError } from '../http/api';
import { pushAllowed } from '../users/push-pattern';

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

/**
 * Who asks to publish: the camera's push key (from the publish URL), or a
 * platform user the protocol server has signed in (their push pattern decides).
 */
export type PublishCredential = { key: string | null | undefined } | { userId: string };

const forbidden = () => new PublishError('forbidden', 'unknown stream or wrong key');

/** A push camera by the key in its publish URL (the path ends with its id). Wrong or unknown: the same "forbidden". */
async function cameraByKey(path: string, key: string | null | undefined): Promise<Camera> {
	const id = path.split('/').pop() ?? '';
	const camera = CAMERA_ID.test(id) ? await db.camera.findUnique({ where: { id } }) : null;
	const expected = camera?.pushKey;
	const ok = !!expected && !!key && key.length === expected.length && timingSafeEqual(Buffer.from(key), Buffer.from(expected));
	if (!camera || camera.source !== 'push' || !ok) throw forbidden();
	return camera;
}

/**
 * The camera at `path` (its id or its name) for a user with push rights to it.
 * A path no camera has yet becomes a new push camera, granted to the user, as
 * document 001's servers create a stream on its first publish.
 */
async function cameraForUser(path: string, userId: string): Promise<Camera> {
	const user = await db.user.findUnique({ where: { id: userId } });
	if (!user) throw forbidden();
	const camera = CAMERA_ID.test(path) ? await db.camera.findUnique({ where: { id: path } }) : await db.camera.findUnique({ where: { name: path } });
	const names = camera ? [camera.id, camera.name] : [path];
	if (user.role !== 'admin' && !pushAllowed(user.pushPattern, names)) throw new PublishError('forbidden', `user "${user.username}" may not publish to "${path}"`);
	if (camera) {
		if (camera.source !== 'push') throw new PublishError('forbidden', 'this camera pulls its source: it takes no publisher');
		return camera;
	}
	try {
		const created = await createCamera({ name: path, source: 'push' });
		if (user.role !== 'admin' && !user.allCameras) await db.cameraGrant.create({ data: { userId: user.id, cameraId: created.id } });
		return created;
	} catch (e) {
		if (e instanceof ApiError) throw new PublishError('bad-request', e.message);
		throw e;
	}
}

/** The push camera a publisher may feed, by key or by user rights: PublishError otherwise. */
export async function authorizePublish(path: string, credential: PublishCredential): Promise<Camera> {
	const p = path.replace(/^\/+|\/+$/g, '');
	const camera = 'userId' in credential ? await cameraForUser(p, credential.userId) : await cameraByKey(p, credential.key);
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

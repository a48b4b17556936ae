// Live state of every camera: its stream (hub) and its ingest. Ingest runs on
// demand: it starts with the first consumer and stops IDLE_MS after the last,
// unless the camera is marked keepalive. A camera's source is never opened twice.
import { EventEmitter } from 'node:events';
import { db } from '../db/client';
import { cameraEvents } from '../cameras/events';
import { FfmpegIngest } from '../ingest/ffmpeg-ingest';
import type { Camera } from '../db/generated/sqlite/client';
import { CameraStream, type Consumer, type StreamStatus } from './stream';

const IDLE_MS = Number(process.env.INGEST_IDLE_MS ?? 30_000);

interface Entry {
	stream: CameraStream;
	camera: Camera;
	ingest?: FfmpegIngest;
	idleTimer?: NodeJS.Timeout;
}

interface LiveEvents {
	status: [id: string, status: StreamStatus];
	stream: [stream: CameraStream];
}

class Live extends EventEmitter<LiveEvents> {
	private entries = new Map<string, Entry>();

	/** Loads every camera and starts the keepalive ones; follows camera changes from then on. */
	async start() {
		for (const camera of await db.camera.findMany()) this.sync(camera);
		cameraEvents.on('saved', (camera) => this.sync(camera));
		cameraEvents.on('deleted', (id) => this.remove(id));
	}

	stop() {
		for (const id of [...this.entries.keys()]) this.remove(id);
	}

	stream(id: string): CameraStream | undefined {
		return this.entries.get(id)?.stream;
	}

	isKeepalive(id: string): boolean {
		return this.entries.get(id)?.camera.keepalive ?? false;
	}

	status(id: string): StreamStatus | undefined {
		return this.entries.get(id)?.stream.status;
	}

	/** Adds a consumer to a camera's stream, starting its ingest if needed. Returns the detach function. */
	attach(id: string, consumer: Consumer): () => void {
		const entry = this.entries.get(id);
		if (!entry) throw new Error('camera not found');
		entry.stream.addConsumer(consumer);
		this.demand(entry);
		let attached = true;
		return () => {
			if (!attached) return;
			attached = false;
			entry.stream.removeConsumer(consumer);
			this.demand(entry);
		};
	}

	/** Waits until the camera has a keyframe cached (starting ingest meanwhile through a short-lived consumer). */
	async keyframe(id: string, timeoutMs = 10_000) {
		const entry = this.entries.get(id);
		if (!entry) throw new Error('camera not found');
		const ready = entry.stream.keyframe();
		if (ready) return ready;
		return new Promise<ReturnType<CameraStream['keyframe']>>((resolve) => {
			const done = (v: ReturnType<CameraStream['keyframe']>) => {
				clearTimeout(timer);
				detach();
				resolve(v);
			};
			const detach = this.attach(id, {
				protocol: 'probe',
				remoteAddress: 'internal',
				startedAt: new Date(),
				bytes: 0,
				onFragment: () => {
					const k = entry.stream.keyframe();
					if (k) done(k);
				}
			});
			const timer = setTimeout(() => done(undefined), timeoutMs);
		});
	}

	private sync(camera: Camera) {
		let entry = this.entries.get(camera.id);
		if (!entry) {
			const stream = new CameraStream(camera.id);
			stream.on('status', (status) => this.emit('status', camera.id, status));
			entry = { stream, camera };
			this.entries.set(camera.id, entry);
			this.emit('stream', stream);
		}
		const sourceChanged = entry.camera.source !== camera.source;
		entry.camera = camera;
		if (sourceChanged || !camera.enabled) this.stopIngest(entry);
		this.demand(entry);
	}

	private remove(id: string) {
		const entry = this.entries.get(id);
		if (!entry) return;
		this.stopIngest(entry);
		this.entries.delete(id);
		entry.stream.removeAllListeners();
	}

	/** Starts or schedules the stop of ingest from what the camera needs now. */
	private demand(entry: Entry) {
		const { camera, stream } = entry;
		const wanted = camera.enabled && camera.source !== 'push' && (camera.keepalive || stream.consumers.size > 0);
		if (wanted) {
			clearTimeout(entry.idleTimer);
			entry.idleTimer = undefined;
			if (!entry.ingest) {
				entry.ingest = new FfmpegIngest(
					camera.source,
					{
						init: (init) => stream.pushInit(init),
						fragment: (f) => stream.pushFragment(f),
						state: (state, error) => stream.setState(state, error)
					},
					(line) => console.log(`camera ${camera.id}: ${line}`)
				);
				entry.ingest.start();
			}
		} else if (entry.ingest && !entry.idleTimer) {
			entry.idleTimer = setTimeout(() => this.stopIngest(entry), camera.enabled ? IDLE_MS : 0);
		}
	}

	private stopIngest(entry: Entry) {
		clearTimeout(entry.idleTimer);
		entry.idleTimer = undefined;
		entry.ingest?.stop();
		entry.ingest = undefined;
	}
}

export const live = new Live();

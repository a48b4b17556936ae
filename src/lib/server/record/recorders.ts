// Decides, every second, which cameras record: continuous mode, a schedule
// window that is open now, or a manual recording that hasn't run out — unless
// the camera is disabled or the disk is full — and which take a periodic
// snapshot. Runs retention on its own timer and restarts the recorders it
// stopped for lack of room once there is room.
import { EventEmitter } from 'node:events';
import { db } from '../db/client';
import { config } from '../config';
import { cameraEvents } from '../cameras/events';
import type { Camera } from '../cameras/cameras';
import { recoverOpenSegments } from './recording-index';
import { CameraRecorder, type RecordReason, type RecorderStatus } from './recorder';
import { retentionPass, removeCameraMedia, type DiskState } from './retention';
import { periodicSnapshots } from './snapshots';
import { inWindow, listSchedules, scheduleEvents, type Schedule } from './schedules';

const TICK_MS = 1000;

interface Entry {
	camera: Camera;
	schedules: Schedule[];
	recorder: CameraRecorder;
}

class Recorders extends EventEmitter<{ recording: [cameraId: string, recording: boolean] }> {
	private entries = new Map<string, Entry>();
	private disk: DiskState = { full: false, freeMb: 0 };
	private timers: NodeJS.Timeout[] = [];
	private checking?: Promise<void>;

	async start() {
		const repaired = await recoverOpenSegments();
		if (repaired) console.log(`recording: repaired ${repaired} segment(s) left open by the last run`);
		for (const camera of await db.camera.findMany()) await this.sync(camera);
		cameraEvents.on('saved', (camera) => void this.sync(camera).then(() => this.apply(camera.id)));
		// Before the live hub forgets the camera: a recorder detaching afterwards would start its ingest again.
		cameraEvents.prependListener('deleted', (id) => this.remove(id));
		scheduleEvents.on('changed', (id) => void this.reloadSchedules(id));
		await this.check();
		this.timers.push(setInterval(() => this.tick(), TICK_MS), setInterval(() => void this.check(), config.record.checkMs));
		this.tick();
	}

	stop() {
		for (const t of this.timers) clearInterval(t);
		for (const e of this.entries.values()) e.recorder.stop();
	}

	isRecording(cameraId: string): boolean {
		return this.entries.get(cameraId)?.recorder.status.state === 'recording';
	}

	status(cameraId: string): RecorderStatus & { manualUntil: string | null } {
		const e = this.entries.get(cameraId);
		const s = e?.recorder.status ?? { state: 'idle', reason: null, error: null, since: new Date(0).toISOString() };
		return { ...s, manualUntil: e?.camera.manualRecord ? (e.camera.manualUntil?.toISOString() ?? null) : null };
	}

	/** Starts (optionally for `limitSec`) or stops a manual recording. */
	async manual(cameraId: string, action: 'start' | 'stop', limitSec?: number) {
		const manualUntil = action === 'start' && limitSec ? new Date(Date.now() + limitSec * 1000) : null;
		const camera = await db.camera.update({ where: { id: cameraId }, data: { manualRecord: action === 'start', manualUntil } });
		cameraEvents.emit('saved', camera);
		await this.sync(camera);
		this.apply(cameraId);
	}

	/** A write failed (the disk filled up between checks): check now. */
	private writeFailed() {
		void this.check();
	}

	private async sync(camera: Camera) {
		let e = this.entries.get(camera.id);
		if (!e) {
			const recorder = new CameraRecorder(camera.id, () => (this.entries.get(camera.id)?.camera.segmentSec ?? config.record.segmentSec) * 1000, () => this.writeFailed(), (s) =>
				this.emit('recording', camera.id, s.state === 'recording')
			);
			e = { camera, schedules: await listSchedules(camera.id), recorder };
			this.entries.set(camera.id, e);
		}
		e.camera = camera;
	}

	private async reloadSchedules(cameraId: string) {
		const e = this.entries.get(cameraId);
		if (!e) return;
		e.schedules = await listSchedules(cameraId);
		this.apply(cameraId);
	}

	private remove(id: string) {
		this.entries.get(id)?.recorder.stop();
		this.entries.delete(id);
		removeCameraMedia(id);
	}

	private reason(e: Entry, now: Date): RecordReason | null {
		const c = e.camera;
		if (!c.enabled) return null;
		if (c.manualRecord && (!c.manualUntil || c.manualUntil > now)) return 'manual';
		if (c.recordMode === 'continuous') return 'continuous';
		if (c.recordMode === 'schedule' && inWindow(e.schedules, now)) return 'schedule';
		return null;
	}

	private apply(cameraId: string, now = new Date()) {
		const e = this.entries.get(cameraId);
		if (!e) return;
		const { recorder, camera } = e;
		if (camera.manualRecord && camera.manualUntil && camera.manualUntil <= now) {
			// The time limit ran out: the manual recording is over.
			e.camera = { ...camera, manualRecord: false, manualUntil: null };
			void this.manual(cameraId, 'stop').catch((err) => console.error(`camera ${cameraId}: ${err.message}`));
		}
		const reason = this.reason(e, now);
		if (reason && this.disk.full) {
			if (recorder.active || recorder.status.state !== 'error')
				recorder.stop(`disk full: ${this.disk.freeMb} MB free, recording needs ${config.record.minFreeMb} MB (RECORD_MIN_FREE_MB)`);
		} else if (reason) recorder.start(reason);
		else {
			recorder.stop();
			recorder.clearError();
		}
	}

	private tick() {
		const now = new Date();
		for (const id of this.entries.keys()) this.apply(id, now);
		periodicSnapshots([...this.entries.values()].map((e) => e.camera), now.getTime());
	}

	/** Retention and free space, one pass at a time. */
	private check(): Promise<void> {
		this.checking ??= retentionPass()
			.then((disk) => {
				if (disk.full && !this.disk.full) console.error(`recording: disk full (${disk.freeMb} MB free): recording stopped`);
				if (!disk.full && this.disk.full) console.log(`recording: ${disk.freeMb} MB free again: recording resumes`);
				this.disk = disk;
				this.tick();
			})
			.catch((e) => console.error(`recording: retention: ${e.message}`))
			.finally(() => (this.checking = undefined));
		return this.checking;
	}
}

export const recorders = new Recorders();

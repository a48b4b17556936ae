// Camera changes, for the parts that keep live state per camera (ingest, SFU).
import { EventEmitter } from 'node:events';
import type { Camera } from '../db/generated/sqlite/client';

interface CameraEvents {
	saved: [camera: Camera];
	deleted: [id: string];
}

export const cameraEvents = new EventEmitter<CameraEvents>();

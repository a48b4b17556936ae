// The camera core: validation, ids, storage and who may see what. The
// native API and the compat APIs all go through here.
import { randomBytes } from 'node:crypto';
import { db } from '../db/client';
import { badRequest, notFound } from '../http/api';
import { seesAllCameras, type Principal } from '../auth/principal';
import { sourceProblem } from './source';
import { cameraEvents } from './events';
import type { Camera } from '../db/generated/sqlite/client';

export type { Camera };

export const CAMERA_ID = /^[0-9a-f]{12}$/;
// Names also appear in paths such as /streams/<name>.flv (document 001): URL-safe, may nest with '/'.
const CAMERA_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.-]+)*$/;

export interface CameraInput {
	name?: unknown;
	label?: unknown;
	lat?: unknown;
	lon?: unknown;
	source?: unknown;
	enabled?: unknown;
	keepalive?: unknown;
	tags?: unknown;
	recordMode?: unknown;
	segmentSec?: unknown;
	retentionDays?: unknown;
	snapshotSec?: unknown;
}
export const CAMERA_FIELDS = ['name', 'label', 'lat', 'lon', 'source', 'enabled', 'keepalive', 'tags', 'recordMode', 'segmentSec', 'retentionDays', 'snapshotSec'] as const;
export const RECORD_MODES = ['off', 'continuous', 'schedule'] as const;
// Recording limits (a segment's size must fit the index's 32-bit column).
export const MAX_SEGMENT_SEC = 600;
export const MAX_RETENTION_DAYS = 3650;
export const MAX_SNAPSHOT_SEC = 86_400;

function coordinate(value: unknown, field: 'lat' | 'lon', limit: number): number | null {
	if (value === null) return null;
	if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`${field} must be a number or null`);
	if (value < -limit || value > limit) throw badRequest(`${field} must be between -${limit} and ${limit}`);
	return value;
}

function wholeNumber(value: unknown, field: string, min: number, max: number): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw badRequest(`${field} must be a whole number from ${min} to ${max}`);
	return value;
}

function boolean(value: unknown, field: string): boolean {
	if (typeof value !== 'boolean') throw badRequest(`${field} must be true or false`);
	return value;
}

/** Validates a create (all required fields) or a patch (only what is given) into column values. */
function toColumns(input: CameraInput, creating: boolean) {
	const data: Partial<
		Pick<Camera, 'name' | 'label' | 'lat' | 'lon' | 'source' | 'enabled' | 'keepalive' | 'tags' | 'recordMode' | 'segmentSec' | 'retentionDays' | 'snapshotSec'>
	> = {};
	if (creating || input.name !== undefined) {
		if (typeof input.name !== 'string' || input.name === '') throw badRequest('name is required');
		if (input.name.length > 128) throw badRequest('name must be at most 128 characters');
		if (!CAMERA_NAME.test(input.name))
			throw badRequest('name may use letters, digits, "_", "-", "." and "/" between parts, and must start with a letter or digit');
		if (CAMERA_ID.test(input.name)) throw badRequest('name must not look like a camera id (12 hex characters)');
		data.name = input.name;
	}
	if (input.label !== undefined) {
		if (typeof input.label !== 'string') throw badRequest('label must be a string');
		if (input.label.length > 200) throw badRequest('label must be at most 200 characters');
		data.label = input.label.trim();
	}
	if (input.lat !== undefined) data.lat = coordinate(input.lat, 'lat', 90);
	if (input.lon !== undefined) data.lon = coordinate(input.lon, 'lon', 180);
	if (creating || input.source !== undefined) {
		const problem = sourceProblem(input.source);
		if (problem) throw badRequest(problem);
		data.source = input.source as string;
	}
	if (input.enabled !== undefined) data.enabled = boolean(input.enabled, 'enabled');
	if (input.keepalive !== undefined) data.keepalive = boolean(input.keepalive, 'keepalive');
	if (input.tags !== undefined) {
		if (!Array.isArray(input.tags) || input.tags.some((t) => typeof t !== 'string' || t === '' || t.length > 64))
			throw badRequest('tags must be an array of non-empty strings (at most 64 characters each)');
		if (input.tags.length > 32) throw badRequest('at most 32 tags');
		data.tags = JSON.stringify([...new Set(input.tags as string[])]);
	}
	if (input.recordMode !== undefined) {
		if (!RECORD_MODES.includes(input.recordMode as (typeof RECORD_MODES)[number])) throw badRequest(`recordMode must be one of ${RECORD_MODES.join(', ')}`);
		data.recordMode = input.recordMode as string;
	}
	if (input.segmentSec !== undefined) data.segmentSec = input.segmentSec === null ? null : wholeNumber(input.segmentSec, 'segmentSec', 1, MAX_SEGMENT_SEC);
	if (input.retentionDays !== undefined) data.retentionDays = wholeNumber(input.retentionDays, 'retentionDays', 0, MAX_RETENTION_DAYS);
	if (input.snapshotSec !== undefined) data.snapshotSec = wholeNumber(input.snapshotSec, 'snapshotSec', 0, MAX_SNAPSHOT_SEC);
	return data;
}

function checkCoordinatePair(lat: number | null | undefined, lon: number | null | undefined) {
	if ((lat ?? null) === null !== ((lon ?? null) === null)) throw badRequest('lat and lon must be given together (or both null)');
}

async function assertNameFree(name: string, exceptId?: string) {
	const other = await db.camera.findUnique({ where: { name } });
	if (other && other.id !== exceptId) throw badRequest(`a camera named "${name}" already exists`);
}

/** The secret a push camera's device publishes with. */
const newPushKey = () => randomBytes(16).toString('hex');

async function newCameraId(): Promise<string> {
	for (;;) {
		const id = randomBytes(6).toString('hex');
		if (!(await db.camera.findUnique({ where: { id } }))) return id;
	}
}

export async function createCamera(input: CameraInput): Promise<Camera> {
	const data = toColumns(input, true);
	checkCoordinatePair(data.lat, data.lon);
	await assertNameFree(data.name!);
	const pushKey = data.source === 'push' ? newPushKey() : null;
	const camera = await db.camera.create({ data: { ...data, id: await newCameraId(), name: data.name!, source: data.source!, pushKey } });
	cameraEvents.emit('saved', camera);
	return camera;
}

export async function updateCamera(id: string, input: CameraInput): Promise<Camera> {
	const current = await getCamera(id);
	const data = toColumns(input, false);
	checkCoordinatePair(data.lat !== undefined ? data.lat : current.lat, data.lon !== undefined ? data.lon : current.lon);
	if (data.name !== undefined) await assertNameFree(data.name, id);
	// A camera that becomes "push" gets a key; one that stops being "push" loses it.
	const pushKey = data.source === undefined ? undefined : data.source === 'push' ? (current.pushKey ?? newPushKey()) : null;
	const camera = await db.camera.update({ where: { id }, data: { ...data, pushKey } });
	cameraEvents.emit('saved', camera);
	return camera;
}

export async function deleteCamera(id: string) {
	await getCamera(id);
	await db.camera.delete({ where: { id } });
	cameraEvents.emit('deleted', id);
}

/** Any camera by id (admin paths). Unknown: 404. */
export async function getCamera(id: string): Promise<Camera> {
	const camera = CAMERA_ID.test(id) ? await db.camera.findUnique({ where: { id } }) : null;
	if (!camera) throw notFound('camera not found');
	return camera;
}

function visibleWhere(user: Principal) {
	return seesAllCameras(user) ? {} : { grants: { some: { userId: user.id } } };
}

/** The cameras `user` may see, in a stable order. */
export function visibleCameras(user: Principal): Promise<Camera[]> {
	return db.camera.findMany({ where: visibleWhere(user), orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

/** A camera `user` may see; one they may not see is 404, exactly like one that doesn't exist. */
export async function visibleCamera(user: Principal, id: string | null): Promise<Camera> {
	if (!id) throw badRequest('id is required');
	const camera = CAMERA_ID.test(id) ? await db.camera.findFirst({ where: { id, ...visibleWhere(user) } }) : null;
	if (!camera) throw notFound('camera not found');
	return camera;
}

export const cameraTags = (c: Camera): string[] => JSON.parse(c.tags);

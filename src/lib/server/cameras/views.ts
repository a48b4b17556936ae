// The shapes cameras take in the native API (document 000). The original
// name and the source appear only in the admin shapes.
import { cameraTags, type Camera } from './cameras';
import type { StreamStatus } from '../hub/stream';
import { publishUrls } from './stream-urls';
import { recorders } from '../record/recorders';

const OFFLINE: StreamStatus = { state: 'offline', error: null, codec: null, audioCodec: null, width: null, height: null, fps: null, bitrate: null, since: new Date(0).toISOString() };

/** Live status; the error (it may name the source's host) only for admins. */
function statusView(status: StreamStatus | undefined, admin: boolean) {
	const s = status ?? OFFLINE;
	return admin ? s : { ...s, error: s.state === 'error' ? 'camera unreachable' : null };
}

/** POST/GET/PATCH /api/cameras/:id for admins: the whole camera. */
export function adminCamera(c: Camera, requestUrl: URL, status?: StreamStatus) {
	return {
		id: c.id,
		name: c.name,
		label: c.label,
		lat: c.lat,
		lon: c.lon,
		source: c.source,
		enabled: c.enabled,
		keepalive: c.keepalive,
		tags: cameraTags(c),
		pushKey: c.pushKey,
		publish: publishUrls(c, requestUrl),
		status: statusView(status, true),
		recordMode: c.recordMode,
		segmentSec: c.segmentSec,
		retentionDays: c.retentionDays,
		snapshotSec: c.snapshotSec,
		recording: recorders.status(c.id),
		createdAt: c.createdAt.toISOString(),
		updatedAt: c.updatedAt.toISOString()
	};
}

/** GET /api/cameras/:id for a user granted the camera. */
export function viewerCamera(c: Camera, status?: StreamStatus) {
	return { id: c.id, label: c.label, lat: c.lat, lon: c.lon, enabled: c.enabled, tags: cameraTags(c), status: statusView(status, false) };
}

/** An item of GET /api/cameras: `{id, name (admins), label, lat, lon}`. */
export function listedCamera(c: Camera, admin: boolean) {
	return admin
		? { id: c.id, name: c.name, label: c.label, lat: c.lat, lon: c.lon }
		: { id: c.id, label: c.label, lat: c.lat, lon: c.lon };
}

/** GET /api/cameras?format=geojson: coordinates are [lon, lat]; no position, no geometry. */
export function cameraFeatureCollection(cameras: Camera[], admin: boolean) {
	return {
		type: 'FeatureCollection' as const,
		features: cameras.map((c) => ({
			type: 'Feature' as const,
			geometry: c.lat !== null && c.lon !== null ? { type: 'Point' as const, coordinates: [c.lon, c.lat] } : null,
			properties: admin ? { id: c.id, name: c.name, label: c.label } : { id: c.id, label: c.label }
		}))
	};
}

// The RTSP server's view of the app: users and their rights, cameras, the
// hub, and the publish path. The only file of the RTSP server that imports
// the app (and so the database).
import { checkCredentials } from '../auth/login';
import type { Principal, Role } from '../auth/principal';
import { CAMERA_ID, visibleCamera, type Camera } from '../cameras/cameras';
import { db } from '../db/client';
import { ApiError } from '../http/api';
import { live } from '../hub/live';
import { PublishError, authorizePublish, startPublish } from '../ingest/publish';
import { RtspStatusError, type PublishTarget, type RtspBackend, type Viewer } from './backend';

const READY_TIMEOUT_MS = 10_000;

const PUBLISH_STATUS: Record<PublishError['code'], number> = { 'not-found': 404, forbidden: 403, busy: 453, 'bad-request': 400 };

function publishError(e: unknown): unknown {
	return e instanceof PublishError ? new RtspStatusError(PUBLISH_STATUS[e.code] ?? 400, e.message) : e;
}

export const appBackend: RtspBackend = {
	async checkUser(username, password, address): Promise<Viewer> {
		try {
			const u = await checkCredentials(username, password, address);
			// Same rights as a signed-in session of theirs.
			const principal: Principal = { id: u.id, username: u.username, role: u.role as Role, allCameras: u.allCameras, tokenVersion: u.tokenVersion, via: 'session' };
			return { kind: 'user', username: u.username, principal };
		} catch (e) {
			if (!(e instanceof ApiError)) throw e;
			if (e.status === 429) throw new RtspStatusError(503, e.message, e.headers['Retry-After'] ? { 'Retry-After': e.headers['Retry-After'] } : {});
			throw new RtspStatusError(401, e.message);
		}
	},

	async open(viewer, id) {
		let camera: Camera | null;
		if (viewer.kind === 'user') {
			try {
				camera = await visibleCamera(viewer.principal as Principal, id);
			} catch (e) {
				if (e instanceof ApiError) throw new RtspStatusError(404, 'camera not found');
				throw e;
			}
		} else camera = CAMERA_ID.test(id) ? await db.camera.findUnique({ where: { id } }) : null;
		if (!camera) throw new RtspStatusError(404, 'camera not found');
		if (!camera.enabled) throw new RtspStatusError(503, 'camera is disabled');
		const stream = live.stream(camera.id);
		if (!stream) throw new RtspStatusError(503, 'camera is not available yet');
		// Starts the ingest if nobody watches yet, and waits for a keyframe to start readers at.
		const ready = await live.keyframe(camera.id, READY_TIMEOUT_MS);
		if (!ready) throw new RtspStatusError(503, 'camera is offline');
		return stream;
	},

	attach: (id, consumer) => live.attach(id, consumer),

	async authorizePublish(path, who): Promise<PublishTarget> {
		try {
			if ('key' in who) return await authorizePublish(path, { key: who.key });
			if (who.viewer.kind !== 'user') throw new RtspStatusError(403, "publishing needs the camera's push key or a user with push rights");
			return await authorizePublish(path, { userId: (who.viewer.principal as Principal).id });
		} catch (e) {
			throw publishError(e);
		}
	},

	startPublish(target, tracks, remoteAddress) {
		try {
			return startPublish(target as Camera, tracks, remoteAddress, 'rtsp');
		} catch (e) {
			throw publishError(e);
		}
	}
};

// What the RTSP server needs from the app, as one interface: the app's
// implementation is app-backend.ts; tests give a fake one. Only types are
// imported here, so the server loads without the database.
import type { Consumer, CameraStream } from '../hub/stream';
import type { Publisher, PublishTracks } from '../ingest/publish';

export type { Publisher, PublishTracks };

/** An error answered with this RTSP status (and headers) instead of 500. */
export class RtspStatusError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly headers: Record<string, string | string[]> = {}
	) {
		super(message);
	}
}

/** Who is reading: nobody (RTSP_ANONYMOUS), the fixed RTSP_USERNAME, or a platform user with their rights. */
export type Viewer =
	| { kind: 'anonymous' }
	| { kind: 'fixed'; username: string }
	| { kind: 'user'; username: string; principal: unknown };

/** The part of the hub's CameraStream a play session reads. */
export type LiveSource = Pick<CameraStream, 'id' | 'init' | 'cachedGop'>;

/** A push camera a publisher was authorized for (its key matched, or the user may push to it). */
export interface PublishTarget {
	id: string;
}

export interface RtspBackend {
	/** A platform user's credentials (Basic): the viewer, or RtspStatusError 401 (wrong) / 503 (too many attempts). */
	checkUser(username: string, password: string, address: string): Promise<Viewer>;
	/**
	 * A camera's live stream, ready to play (an init segment and a keyframe
	 * cached: its ingest is started on demand), if this viewer may see it.
	 * RtspStatusError 404 when it doesn't exist or isn't visible, 503 when it is disabled or offline.
	 */
	open(viewer: Viewer, id: string): Promise<LiveSource>;
	/** Adds a reader to the camera's stream; returns the detach function. */
	attach(id: string, consumer: Consumer): () => void;
	/**
	 * The push camera at `path` if `key` is its key, or if the signed-in viewer may push to it:
	 * RtspStatusError 403 (unknown, wrong key, no push rights, disabled) or 453 (already publishing).
	 */
	authorizePublish(path: string, who: { key: string } | { viewer: Viewer }): Promise<PublishTarget>;
	/** Starts feeding the camera's stream: RtspStatusError 453 when another publisher got there first. */
	startPublish(target: PublishTarget, tracks: PublishTracks, remoteAddress: string): Publisher;
}

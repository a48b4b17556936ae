// What a camera's live status means to a person, shared by the map, the grid and the kiosk.

/** The part of a camera's status (GET /api/cameras/:id, socket.io camera:status) the pages use. */
export interface LiveStatus {
	state: 'offline' | 'starting' | 'online' | 'error' | string;
	enabled?: boolean;
	/** Whether the camera is being recorded now (the recorder). */
	recording?: boolean;
	width?: number | null;
	height?: number | null;
	fps?: number | null;
}

/**
 * recording and online: streaming; starting: connecting to the source; idle: enabled but nobody
 * is watching (ingest runs on demand); offline: the source can't be reached; disabled by an admin.
 */
export type StatusKind = 'recording' | 'online' | 'starting' | 'idle' | 'offline' | 'disabled';

export function statusKind(status: LiveStatus | undefined): StatusKind {
	if (!status) return 'idle';
	if (status.enabled === false) return 'disabled';
	// A recorder waiting for a camera that dropped records nothing: the camera shows as offline.
	if (status.recording && status.state === 'online') return 'recording';
	switch (status.state) {
		case 'online':
			return 'online';
		case 'starting':
			return 'starting';
		case 'error':
			return 'offline';
		default:
			return 'idle';
	}
}

/** Marker and badge colours, one per kind. */
export const STATUS_COLOURS: Record<StatusKind, string> = {
	recording: '#f43f5e',
	online: '#22c55e',
	starting: '#f59e0b',
	idle: '#38bdf8',
	offline: '#64748b',
	disabled: '#475569'
};

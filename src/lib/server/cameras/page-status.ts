// The statuses pages start from (live pushes follow over socket.io): stream state
// and the enabled flag, never the error text (it may name the source's host).
import type { Camera } from './cameras';
import { live } from '../hub/live';
import { recorders } from '../record/recorders';

export function pageStatus(c: Camera) {
	const s = live.status(c.id);
	return {
		state: s?.state ?? 'offline',
		enabled: c.enabled,
		recording: recorders.isRecording(c.id),
		width: s?.width ?? null,
		height: s?.height ?? null,
		fps: s?.fps ?? null
	};
}

export function pageStatuses(cameras: Camera[]) {
	return Object.fromEntries(cameras.map((c) => [c.id, pageStatus(c)]));
}

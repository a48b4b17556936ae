// The shapes recordings take in the API.
import { segmentEnd, type Segment } from './recording-index';

export function segmentView(s: Segment, url: string) {
	return {
		id: s.id,
		start: s.startAt.toISOString(),
		end: segmentEnd(s).toISOString(),
		durationMs: s.durationMs,
		size: s.size,
		/** Still being written: its end and size grow. */
		open: s.endAt === null,
		url
	};
}

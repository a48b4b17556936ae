// Which of a stream's tracks a client can take, from the codec list it sends
// (go2rtc's players send RFC 6381 strings such as "avc1.640029,mp4a.40.2,opus").
import type { TrackInfo } from '../media/types';

const family = (codec: string) => {
	const c = codec.trim().toLowerCase();
	if (c.startsWith('avc1') || c.startsWith('avc3')) return 'h264';
	if (c.startsWith('hvc1') || c.startsWith('hev1')) return 'h265';
	if (c.startsWith('mp4a')) return 'aac';
	return c;
};

/** The tracks whose codec family the client listed (all tracks when it listed nothing). */
export function playableTracks(tracks: TrackInfo[], offered: string): TrackInfo[] {
	const list = offered.split(',').map(family).filter(Boolean);
	if (list.length === 0) return tracks;
	return tracks.filter((t) => list.includes(t.codec));
}

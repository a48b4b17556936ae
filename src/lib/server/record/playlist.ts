// HLS VOD over recorded segments: each file is one media segment (its
// fragments, by byte range) with its own init (EXT-X-MAP, the file's first
// bytes). Where footage is missing, or the source restarted (a new timeline),
// the playlist says EXT-X-DISCONTINUITY. The segments are segmentsBetween's: the
// one being written is in it up to its last saved progress.
import { JOIN_MS, segmentEnd, type Segment } from './recording-index';

/** `url(segment)`: where a segment's file is, relative to the playlist. */
export function vodPlaylist(segments: Segment[], url: (s: Segment) => string): string {
	const target = Math.max(1, ...segments.map((s) => Math.ceil(s.durationMs / 1000)));
	const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-PLAYLIST-TYPE:VOD', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-INDEPENDENT-SEGMENTS'];
	let previous: Segment | undefined;
	for (const s of segments) {
		if (previous && Math.abs(s.startAt.getTime() - segmentEnd(previous).getTime()) > JOIN_MS) lines.push('#EXT-X-DISCONTINUITY');
		const uri = url(s);
		lines.push(
			`#EXT-X-PROGRAM-DATE-TIME:${s.startAt.toISOString()}`,
			`#EXT-X-MAP:URI="${uri}",BYTERANGE="${s.initSize}@0"`,
			`#EXTINF:${(s.durationMs / 1000).toFixed(3)},`,
			`#EXT-X-BYTERANGE:${s.size - s.initSize}@${s.initSize}`,
			uri
		);
		previous = s;
	}
	lines.push('#EXT-X-ENDLIST', '');
	return lines.join('\n');
}

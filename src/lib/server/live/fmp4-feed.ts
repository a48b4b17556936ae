// A live fragmented-MP4 feed for one client (MSE over WebSocket,
// /api/proxy/mp4): the init segment, then fragments from a keyframe on.
import { initForTracks, mimeType, writeFragment } from '../media/fmp4';
import type { Fragment, TrackInfo } from '../media/types';
import type { CameraStream } from '../hub/stream';
import { startGopFeed, type FeedTarget } from './gop-feed';

export interface Fmp4FeedTarget extends FeedTarget {
	/** Codec filter (see playableTracks); default: every track. */
	pick?: (tracks: TrackInfo[]) => TrackInfo[];
	/** The chosen tracks' MIME type, before the init segment. */
	start?(mime: string): void;
}

export function startFmp4Feed(stream: CameraStream, target: Fmp4FeedTarget): () => void {
	let tracks: TrackInfo[] = [];
	let rewrite = false;
	let sequence = 0;
	return startGopFeed(stream, target, {
		begin(init) {
			const picked = target.pick ? target.pick(init.tracks) : init.tracks;
			if (!picked.some((t) => t.kind === 'video')) throw new Error('no video track this client can play');
			tracks = picked;
			// Fragments carry every track; when the client takes fewer, they are rewritten.
			rewrite = picked.length !== init.tracks.length;
			target.start?.(mimeType(picked));
			return [rewrite ? initForTracks(init.data, picked.map((t) => t.id)) : init.data];
		},
		fragment: (f) => (rewrite ? rewriteFragment(f, tracks, ++sequence) : f.data)
	});
}

function rewriteFragment(f: Fragment, tracks: TrackInfo[], sequence: number): Buffer {
	const runs = tracks
		.map((t) => {
			const samples = f.samples.filter((s) => s.trackId === t.id);
			return { trackId: t.id, baseDecodeTime: samples[0]?.dts ?? 0, samples };
		})
		.filter((t) => t.samples.length > 0);
	return runs.length ? writeFragment(sequence, runs) : Buffer.alloc(0);
}

// A live fMP4 feed for one client (MSE over WebSocket, /api/proxy/mp4): the
// init segment, the cached GOP from its keyframe, then every new fragment.
// A slow client skips to the next keyframe instead of buffering without end.
import { initForTracks, mimeType, writeFragment } from '../media/fmp4';
import type { Fragment, InitSegment, TrackInfo } from '../media/types';
import type { CameraStream, Consumer } from '../hub/stream';
import { live } from '../hub/live';

export interface FeedTarget {
	protocol: string;
	remoteAddress: string;
	/** Codec filter (see playableTracks); default: every track. */
	pick?: (tracks: TrackInfo[]) => TrackInfo[];
	/** The chosen tracks' MIME type, before the init segment. */
	start?(mime: string): void;
	send(data: Buffer): void;
	/** True while the client is too far behind to take more. */
	congested(): boolean;
	/** The stream restarted with a new init: the client must start over. */
	restart(): void;
	/** No track the client can play. */
	unplayable(message: string): void;
}

export function startFmp4Feed(stream: CameraStream, target: FeedTarget): () => void {
	let tracks: TrackInfo[] | undefined;
	let rewrite = false;
	let sequence = 0;
	let needKeyframe = true;
	let unplayable = false;

	const begin = (init: InitSegment) => {
		const picked = target.pick ? target.pick(init.tracks) : init.tracks;
		if (!picked.some((t) => t.kind === 'video')) {
			unplayable = true;
			target.unplayable('no video track this client can play');
			return false;
		}
		tracks = picked;
		// Fragments carry every track; when the client takes fewer, they are rewritten.
		rewrite = picked.length !== init.tracks.length;
		target.start?.(mimeType(picked));
		target.send(rewrite ? initForTracks(init.data, picked.map((t) => t.id)) : init.data);
		return true;
	};

	const deliver = (f: Fragment) => {
		if (needKeyframe && !f.keyframe) return;
		if (target.congested()) {
			needKeyframe = true;
			return;
		}
		needKeyframe = false;
		const data = rewrite ? rewriteFragment(f, tracks!, ++sequence) : f.data;
		consumer.bytes += data.length;
		target.send(data);
	};

	const consumer: Consumer = {
		protocol: target.protocol,
		remoteAddress: target.remoteAddress,
		startedAt: new Date(),
		bytes: 0,
		onInit: () => {
			if (tracks) target.restart();
		},
		onFragment: (f) => {
			if (unplayable) return;
			if (!tracks) {
				if (!stream.init || !f.keyframe || !begin(stream.init)) return;
			}
			deliver(f);
		}
	};
	const detach = live.attach(stream.id, consumer);
	if (stream.init && stream.cachedGop.length && begin(stream.init)) for (const f of stream.cachedGop) deliver(f);
	return detach;
}

function rewriteFragment(f: Fragment, tracks: TrackInfo[], sequence: number): Buffer {
	return writeFragment(
		sequence,
		tracks.map((t) => {
			const samples = f.samples.filter((s) => s.trackId === t.id);
			return { trackId: t.id, baseDecodeTime: samples[0]?.dts ?? 0, samples };
		}).filter((t) => t.samples.length > 0)
	);
}

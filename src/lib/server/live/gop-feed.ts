// A live feed for one client: the stream's first bytes for its init, then its
// fragments from a keyframe on, in whatever format the output speaks.
import type { Fragment, InitSegment } from '../media/types';
import type { CameraStream, Consumer } from '../hub/stream';
import { live } from '../hub/live';

/** One client of a feed: where its bytes go and how it is doing. */
export interface FeedTarget {
	protocol: string;
	remoteAddress: string;
	send(data: Buffer): void;
	/** True while the client is too far behind to take more. */
	congested(): boolean;
	/** The stream restarted with a new init: the client must start over. */
	restart(): void;
	/** Nothing in the stream this client can play. */
	unplayable(message: string): void;
}

/** How a feed turns the hub's init and fragments into one client's bytes. */
export interface FeedFormat {
	/** The first bytes for this init; throws, with a message for the client, when it can't be played. */
	begin(init: InitSegment): Buffer[];
	/** The bytes for one fragment (empty: nothing to send). */
	fragment(f: Fragment): Buffer;
}

/**
 * Keyframe-gated delivery for every live feed format (fMP4, FLV): start with
 * the cached GOP (or wait for the next keyframe), skip to the next keyframe
 * while the client is congested, and make it start over on a new init.
 */
export function startGopFeed(stream: CameraStream, target: FeedTarget, format: FeedFormat): () => void {
	let begun = false;
	let needKeyframe = true;
	let unplayable = false;

	const send = (data: Buffer) => {
		consumer.bytes += data.length;
		target.send(data);
	};

	const begin = (init: InitSegment) => {
		let first: Buffer[];
		try {
			first = format.begin(init);
		} catch (e) {
			unplayable = true;
			target.unplayable(e instanceof Error ? e.message : String(e));
			return false;
		}
		begun = true;
		for (const data of first) send(data);
		return true;
	};

	const deliver = (f: Fragment) => {
		if (needKeyframe && !f.keyframe) return;
		if (target.congested()) {
			needKeyframe = true;
			return;
		}
		needKeyframe = false;
		const data = format.fragment(f);
		if (data.length) send(data);
	};

	const consumer: Consumer = {
		protocol: target.protocol,
		remoteAddress: target.remoteAddress,
		startedAt: new Date(),
		bytes: 0,
		onInit: () => {
			if (begun) target.restart();
		},
		onFragment: (f) => {
			if (unplayable) return;
			if (!begun) {
				if (!stream.init || !f.keyframe || !begin(stream.init)) return;
			}
			deliver(f);
		}
	};
	const detach = live.attach(stream.id, consumer);
	if (stream.init && stream.cachedGop.length && begin(stream.init)) for (const f of stream.cachedGop) deliver(f);
	return detach;
}

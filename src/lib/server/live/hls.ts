// LL-HLS per watched camera: one muxer fed from the hub, shared by every HLS
// client of that camera, closed when no client has asked for a while. HLS has
// no connection to hold, so each client is a session (?session=) that counts
// as a consumer until it goes quiet.
import { randomBytes } from 'node:crypto';
import { LlHlsMuxer, type HlsUrls } from '../media/hls/ll-hls';
import type { InitSegment } from '../media/types';
import { live } from '../hub/live';
import type { CameraStream, Consumer } from '../hub/stream';

const IDLE_MS = 30_000;

interface CameraHls {
	muxer: LlHlsMuxer;
	detach: () => void;
	sessions: Map<string, { consumer: Consumer; detach: () => void; lastSeen: number }>;
	lastUsed: number;
	sweeper: NodeJS.Timeout;
}

const cameras = new Map<string, CameraHls>();

function hlsFor(stream: CameraStream): CameraHls {
	let entry = cameras.get(stream.id);
	if (entry) return entry;
	const muxer = new LlHlsMuxer();
	if (stream.init) muxer.setInit(stream.init);
	let started = false;
	const detach = live.attach(stream.id, {
		protocol: 'hls-muxer',
		remoteAddress: 'internal',
		startedAt: new Date(),
		bytes: 0,
		onInit: (init: InitSegment) => muxer.setInit(init),
		onFragment: (f) => {
			if (!started && (!f.keyframe || !stream.init)) return;
			if (!started) muxer.setInit(stream.init!);
			started = true;
			muxer.push(f);
		}
	});
	// Start from the cached GOP: the first segment is there at once.
	if (stream.init && stream.cachedGop.length) {
		started = true;
		for (const f of stream.cachedGop) muxer.push(f);
	}
	const sweeper = setInterval(() => {
		const now = Date.now();
		for (const [id, s] of entry!.sessions) if (now - s.lastSeen > IDLE_MS) (s.detach(), entry!.sessions.delete(id));
		if (now - entry!.lastUsed > IDLE_MS) close(stream.id);
	}, 5000);
	sweeper.unref();
	entry = { muxer, detach, sessions: new Map(), lastUsed: Date.now(), sweeper };
	cameras.set(stream.id, entry);
	return entry;
}

function close(id: string) {
	const entry = cameras.get(id);
	if (!entry) return;
	cameras.delete(id);
	clearInterval(entry.sweeper);
	for (const s of entry.sessions.values()) s.detach();
	entry.muxer.close();
	entry.detach();
}

/** The muxer for a request, marking the client's session alive and counting what it is sent. */
export function hlsMuxer(stream: CameraStream, session: string | null, remoteAddress: string) {
	const entry = hlsFor(stream);
	entry.lastUsed = Date.now();
	let s = session ? entry.sessions.get(session) : undefined;
	if (session && !s && entry.sessions.size < 1000) {
		const consumer: Consumer = { protocol: 'hls', remoteAddress, startedAt: new Date(), bytes: 0, onFragment: () => {} };
		s = { consumer, detach: live.attach(stream.id, consumer), lastSeen: Date.now() };
		entry.sessions.set(session, s);
	}
	if (s) s.lastSeen = Date.now();
	return { muxer: entry.muxer, count: (bytes: number) => s && (s.consumer.bytes += bytes) };
}

/** Query string carried by every HLS URL: camera, token, session. */
function query(id: string, token: string, session: string) {
	return `id=${id}&token=${encodeURIComponent(token)}&session=${session}`;
}

/** Media URLs name the muxer (m) and init version (v): numbering restarts with a new muxer, so cached URLs never mix. */
export function hlsUrls(base: string, id: string, token: string, session: string, muxer: string): HlsUrls {
	const q = `${query(id, token, session)}&m=${muxer}`;
	return {
		init: (v?: number) => `${base}/api/proxy/hls/init.mp4?${q}&v=${v ?? 0}`,
		part: (msn: number, part: number) => `${base}/api/proxy/hls/part.m4s?${q}&msn=${msn}&part=${part}`,
		segment: (msn: number) => `${base}/api/proxy/hls/segment.m4s?${q}&msn=${msn}`
	};
}

/** The master playlist for a camera, with absolute URLs (waits for the camera's first init). */
export async function hlsMaster(stream: CameraStream, base: string, token: string, remoteAddress: string): Promise<string> {
	const session = randomBytes(8).toString('hex');
	const { muxer } = hlsMuxer(stream, session, remoteAddress);
	if (!stream.init) {
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('camera is offline')), 10_000);
			stream.once('init', () => (clearTimeout(timer), resolve()));
		});
	}
	return muxer.masterPlaylist(`${base}/api/proxy/hls/index.m3u8?${query(stream.id, token, session)}`);
}

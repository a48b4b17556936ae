// The RTMP publish server (RTMP_PORT, 1935): devices and encoders (ffmpeg,
// OBS) push to rtmp://HOST:1935/live/<camera id>?key=<push key>, or, as a
// user with push rights, to rtmp://HOST:1935/live/<camera name or id>
// ?user=<username>&pass=<password> (or ?token=<API token>). The protocol
// is media/rtmp's; this decides who may publish (ingest/publish) and feeds
// the camera's stream. Play is not offered: viewers use the HTTP outputs.
import type { Socket } from 'node:net';
import { createRtmpServer, RtmpRefusal, type PublishRequest, type RtmpPublishHandler } from '../media/rtmp';
import { authorizePublish, PublishError, startPublish, type PublishCredential, type Publisher } from '../ingest/publish';
import { authenticate } from '../auth/principal';
import { checkCredentials } from '../auth/login';
import { ApiError } from '../http/api';
import type { Camera } from '../cameras/cameras';
import { cameraEvents } from '../cameras/events';

interface Claim {
	/** The key the publisher used; null for a user with push rights. */
	key: string | null;
	/** Ends the connection. */
	kick(reason: string): void;
}

/** Cameras an RTMP connection holds, from its authorization to its end: a second publisher is refused at once. */
const claimed = new Map<string, Claim>();

/** A camera deleted, disabled, no longer a push camera or given a new key loses its publisher. */
function onSaved(c: Camera) {
	const claim = claimed.get(c.id);
	if (!claim) return;
	if (!c.enabled) claim.kick('camera disabled');
	else if (c.source !== 'push') claim.kick('camera is no longer a push camera');
	else if (claim.key !== null && c.pushKey !== claim.key) claim.kick('push key changed');
}
const onDeleted = (id: string) => claimed.get(id)?.kick('camera deleted');

function refusal(e: unknown): unknown {
	if (!(e instanceof PublishError)) return e;
	return new RtmpRefusal(e.code === 'bad-request' ? 'NetStream.Publish.Failed' : 'NetStream.Publish.BadName', e.message);
}

/** The push key of the URL, else the user its query signs in (user/pass or token). */
async function credential(request: PublishRequest): Promise<PublishCredential> {
	if (request.key !== null) return { key: request.key };
	const { query } = request;
	try {
		if (query.has('token')) {
			const auth = await authenticate({ token: query.get('token') });
			if (!auth.user) throw new PublishError('forbidden', auth.problem);
			return { userId: auth.user.id };
		}
		if (query.has('user')) return { userId: (await checkCredentials(query.get('user'), query.get('pass'), request.remoteAddress)).id };
	} catch (e) {
		if (e instanceof ApiError) throw new PublishError('forbidden', e.message);
		throw e;
	}
	throw new PublishError('forbidden', 'publishing needs the push key (?key=) or a user with push rights (?user=&pass= or ?token=)');
}

/** The stream path a publisher names: "live/" is only the conventional app, so live/site1/door is "site1/door". */
const streamPath = (request: PublishRequest) => `${request.app}/${request.name}`.replace(/^\/*live\//, '');

function publishHandler(socket: Socket): RtmpPublishHandler {
	const remoteAddress = socket.remoteAddress ?? '';
	let camera: Camera | undefined;
	let publisher: Publisher | undefined;
	const log = (message: string) => console.log(`rtmp ${remoteAddress}${camera ? ` camera ${camera.id}` : ''}: ${message}`);
	const stop = (reason: string) => {
		if (!publisher) return;
		log(`stopped: ${reason}`);
		publisher.close(reason);
		publisher = undefined;
	};
	return {
		async authorize(request) {
			let authorized: Camera;
			try {
				authorized = await authorizePublish(streamPath(request), await credential(request));
			} catch (e) {
				if (e instanceof PublishError) log(`publish refused: ${e.message}`);
				throw refusal(e);
			}
			if (claimed.has(authorized.id)) {
				log(`publish refused: camera ${authorized.id} already has a publisher`);
				throw new RtmpRefusal('NetStream.Publish.BadName', 'another publisher is already publishing to this camera');
			}
			claimed.set(authorized.id, {
				key: request.key,
				kick: (reason) => {
					stop(reason);
					socket.destroy();
				}
			});
			camera = authorized;
		},
		start(tracks) {
			if (!camera) throw new RtmpRefusal('NetStream.Publish.Failed', 'not authorized');
			try {
				publisher = startPublish(camera, tracks, remoteAddress, 'rtmp');
			} catch (e) {
				throw refusal(e);
			}
			const audio = tracks.audio ? ` + AAC ${tracks.audio.sampleRate} Hz` : '';
			log(`publishing ${tracks.video?.codec.toUpperCase()}${audio}`);
		},
		video: (data, dts, pts, keyframe) => publisher?.video(data, dts, pts, keyframe),
		audio: (data, pts) => publisher?.audio(data, pts),
		stop,
		close(reason) {
			stop(reason);
			if (camera) claimed.delete(camera.id);
			camera = undefined;
		},
		log
	};
}

/** Listens for RTMP publishers on `port` (all interfaces unless `host`). */
export async function startRtmpServer(port: number, host?: string): Promise<{ close(): Promise<void> }> {
	const sockets = new Set<Socket>();
	const server = createRtmpServer((socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
		return publishHandler(socket);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen({ port, host }, () => {
			server.off('error', reject);
			resolve();
		});
	});
	server.on('error', (e) => console.error('rtmp server:', e));
	cameraEvents.on('saved', onSaved);
	cameraEvents.on('deleted', onDeleted);
	console.log(`RTMP publish server listening on ${host ?? '*'}:${port}`);
	return {
		close: () =>
			new Promise<void>((resolve) => {
				cameraEvents.off('saved', onSaved);
				cameraEvents.off('deleted', onDeleted);
				server.close(() => resolve());
				for (const s of sockets) s.destroy();
			})
	};
}

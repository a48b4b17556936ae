// The RTSP server (RTSP_PORT, 8554): readers play any camera they may see at
// rtsp://HOST:8554/<camera id>, from the hub; devices publish to a push
// camera at rtsp://HOST:8554/<camera id>?key=<push key>. See README.md here.
import net from 'node:net';
import { RtspAuth } from './auth';
import type { RtspBackend } from './backend';
import { RtspConnection } from './connection';
import { DEFAULT_OPTIONS, optionsFromEnv, type RtspOptions } from './options';
import { PlaySession } from './play-session';
import { RecordSession } from './record-session';
import { UdpPortPool } from './udp';

/** What connections share. */
export interface RtspServerContext {
	options: RtspOptions;
	backend: RtspBackend;
	auth: RtspAuth;
	udp: UdpPortPool | null;
	log: (line: string) => void;
	forget(c: RtspConnection): void;
}

export interface RtspServerHandle {
	port: number;
	/** Open connections with what they do, for tests and status. */
	connections(): { remoteAddress: string; session?: 'play' | 'record'; camera?: string; state?: string }[];
	close(): Promise<void>;
}

export interface StartOptions extends Partial<RtspOptions> {
	/** The app by default (loaded on demand, so tests can run the server without a database). */
	backend?: RtspBackend;
	/** Address to listen on; all interfaces by default. */
	host?: string;
	log?: (line: string) => void;
}

/**
 * Starts the RTSP server on `port`; settings from the environment
 * (RTSP_USERNAME, RTSP_PASSWORD, RTSP_ANONYMOUS, RTSP_UDP_PORTS) unless given.
 * Rejects when the port can't be bound.
 */
export async function startRtspServer(port: number, opts: StartOptions = {}): Promise<RtspServerHandle> {
	const { backend: given, host, log: givenLog, ...overrides } = opts;
	const options: RtspOptions = { ...DEFAULT_OPTIONS, ...(given ? {} : optionsFromEnv()), ...overrides };
	const backend = given ?? (await import('./app-backend')).appBackend;
	const log = givenLog ?? ((line: string) => console.log(line));
	const conns = new Set<RtspConnection>();
	const ctx: RtspServerContext = {
		options,
		backend,
		auth: new RtspAuth(options, backend),
		udp: options.udpPorts ? new UdpPortPool(options.udpPorts) : null,
		log,
		forget: (c) => conns.delete(c)
	};
	const server = net.createServer((socket) => {
		// An error before the connection object exists must not be unhandled.
		socket.on('error', () => {});
		conns.add(new RtspConnection(socket, ctx));
	});
	server.maxConnections = options.maxConnections;
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen({ port, host }, () => {
			server.off('error', reject);
			resolve();
		});
	});
	server.on('error', (e) => log(`rtsp: server error: ${e.message}`));
	const bound = (server.address() as net.AddressInfo).port;
	const auth = [options.username ? 'fixed credentials (Digest/Basic)' : null, 'platform users (Basic)', options.anonymous ? 'anonymous' : null].filter(Boolean).join(', ');
	log(`rtsp: listening on port ${bound}; ${options.udpPorts ? `UDP ${options.udpPorts.join('-')}` : 'TCP only'}; readers: ${auth}`);
	return {
		port: bound,
		connections: () =>
			[...conns].map((c) => {
				const s = c.sessionInfo;
				return {
					remoteAddress: c.remoteAddress,
					session: s instanceof PlaySession ? 'play' : s instanceof RecordSession ? 'record' : undefined,
					camera: s?.cameraId,
					state: s?.state
				};
			}),
		close: async () => {
			const closed = new Promise<void>((r) => server.close(() => r()));
			for (const c of [...conns]) c.close('server stopping');
			ctx.udp?.closeAll();
			await closed;
		}
	};
}

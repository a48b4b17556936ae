// One RTMP connection on the server side, for publishing: handshake, chunk
// streams, protocol control, the NetConnection / NetStream commands a
// publisher sends (connect, releaseStream, FCPublish, createStream, publish,
// FCUnpublish, deleteStream), metadata, and audio/video messages turned into
// tracks and frames (flv/ingest). Bytes in through push(), bytes out through
// io.write(); the decisions (may this stream be published? where do frames
// go?) belong to the handler. Play is refused. Nothing thrown escapes:
// malformed input ends the connection.
// Pure: no app imports.
import { FlvError } from '../flv/tags';
import { amfObject, type AmfValue } from '../flv/amf0';
import { FlvIngest, type FlvTracks } from '../flv/ingest';
import { ChunkReader, ChunkWriter, MSG, RtmpError, type ChunkReaderOptions, type RtmpMessage } from './chunk';
import { HANDSHAKE_SIZE, HandshakeError, RTMP_VERSION, serverHandshake } from './handshake';
import {
	USER_CONTROL,
	acknowledgement,
	command,
	onStatus,
	parseCommand,
	parseData,
	setChunkSize,
	setPeerBandwidth,
	status,
	userControl,
	windowAckSize
} from './messages';

export interface PublishRequest {
	/** connect's app, without a query (e.g. "live"). */
	app: string;
	/** The stream name without its query (e.g. a camera id). */
	name: string;
	/** key= from the stream name's query, else from the app's or tcUrl's. */
	key: string | null;
	/** The stream name's query. */
	query: URLSearchParams;
	tcUrl: string;
	remoteAddress: string;
}

/** A refusal the client is told about: onStatus with this code, then the connection closes. */
export class RtmpRefusal extends Error {
	constructor(
		readonly code: string,
		message: string
	) {
		super(message);
	}
}

export interface RtmpPublishHandler {
	/** May this stream be published? Throw RtmpRefusal (e.g. NetStream.Publish.BadName) to refuse. */
	authorize(request: PublishRequest): Promise<void> | void;
	/** The published tracks are known. Throw RtmpRefusal to refuse. */
	start(tracks: FlvTracks): void;
	/** One access unit (4-byte length-prefixed NAL units); seconds. */
	video(data: Buffer, dts: number, pts: number, keyframe: boolean): void;
	/** One raw AAC frame; seconds. */
	audio(data: Buffer, pts: number): void;
	/** Publishing stopped (unpublished, tracks changed, connection ended). */
	stop(reason: string): void;
	/** The connection ended (once). */
	close?(reason: string): void;
	log?(message: string): void;
}

export interface RtmpIo {
	write(data: Buffer): void;
	/** Flush what was written, then close. */
	end(): void;
}

export interface RtmpSessionOptions {
	chunks?: ChunkReaderOptions;
	remoteAddress?: string;
	/** Our window acknowledgement size and the peer bandwidth we ask for (default 2.5 MB). */
	windowAckSize?: number;
	/** Our outgoing chunk size (default 4096). */
	chunkSize?: number;
	/** How long an accepted publish may go without its tracks (default 15 s). */
	startTimeoutMs?: number;
	/** Most messages / bytes queued while a publish is being authorized (default 2000 / 16 MiB). */
	maxQueuedMessages?: number;
	maxQueuedBytes?: number;
}

type State = 'c0c1' | 'c2' | 'chunks' | 'closed';

const NO_PLAY = 'this server takes published streams only (RTMP play is not available)';

export class RtmpSession {
	private state: State = 'c0c1';
	private pending: Buffer = Buffer.alloc(0);
	private readonly reader: ChunkReader;
	private readonly writer = new ChunkWriter();
	private readonly queue: RtmpMessage[] = [];
	private queuedBytes = 0;
	private busy = false;
	private app = '';
	private tcUrl = '';
	private connected = false;
	private nextStreamId = 1;
	/** The message stream being published, once authorized. */
	private publishStream: number | undefined;
	private ingest: FlvIngest | undefined;
	private started = false;
	private startTimer: NodeJS.Timeout | undefined;
	private peerWindow = 0;
	private lastAck = 0;
	private received = 0;
	private tsLast: number | undefined;
	private tsEpoch = 0;
	private readonly opts: Required<Omit<RtmpSessionOptions, 'chunks'>>;

	constructor(
		private readonly handler: RtmpPublishHandler,
		private readonly io: RtmpIo,
		options: RtmpSessionOptions = {}
	) {
		this.reader = new ChunkReader(options.chunks);
		this.opts = {
			remoteAddress: '',
			windowAckSize: 2_500_000,
			chunkSize: 4096,
			startTimeoutMs: 15_000,
			maxQueuedMessages: 2000,
			maxQueuedBytes: 16 * 1024 * 1024,
			...options
		};
	}

	get handshakeDone(): boolean {
		return this.state === 'chunks';
	}

	get closed(): boolean {
		return this.state === 'closed';
	}

	/** Whether a publish was accepted and is going on. */
	get publishing(): boolean {
		return this.publishStream !== undefined;
	}

	/** Bytes from the client. Never throws: anything malformed closes the connection. */
	push(data: Buffer): void {
		if (this.state === 'closed') return;
		try {
			this.input(data);
		} catch (e) {
			this.fail(e);
		}
	}

	/** Ends the connection (the socket closed, a timeout): publishing stops. */
	close(reason: string): void {
		if (this.state === 'closed') return;
		this.state = 'closed';
		clearTimeout(this.startTimer);
		this.queue.length = 0;
		this.stopPublishing(reason);
		this.safely(() => this.handler.close?.(reason));
		this.io.end();
	}

	private input(data: Buffer) {
		if (this.state === 'c0c1' || this.state === 'c2') {
			this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
			if (this.state === 'c0c1') {
				// Not RTMP (an HTTP request, a scanner, RTMPE): no need to wait for 1537 bytes to say so.
				if (this.pending.length && this.pending[0] !== RTMP_VERSION)
					throw new HandshakeError(`handshake: RTMP version ${this.pending[0]} is not supported (plain RTMP is 3)`);
				if (this.pending.length < 1 + HANDSHAKE_SIZE) return;
				this.io.write(serverHandshake(this.pending.subarray(0, 1 + HANDSHAKE_SIZE)));
				this.pending = this.pending.subarray(1 + HANDSHAKE_SIZE);
				this.state = 'c2';
			}
			if (this.pending.length < HANDSHAKE_SIZE) return;
			// C2 is not checked: clients answer S1 in more than one way.
			data = Buffer.from(this.pending.subarray(HANDSHAKE_SIZE));
			this.pending = Buffer.alloc(0);
			this.state = 'chunks';
			if (!data.length) return;
		}
		this.received += data.length;
		const messages = this.reader.push(data);
		this.acknowledge();
		for (const m of messages) this.enqueue(m);
		this.drain();
	}

	/** Acknowledge every window's worth of bytes, if the peer set a window. */
	private acknowledge() {
		if (this.peerWindow > 0 && this.received - this.lastAck >= this.peerWindow) {
			this.lastAck = this.received;
			this.send(acknowledgement(this.received));
		}
	}

	private enqueue(m: RtmpMessage) {
		// Protocol control is handled at once, even while a command is pending.
		if (m.type >= MSG.SET_CHUNK_SIZE && m.type <= MSG.SET_PEER_BANDWIDTH) return this.controlMessage(m);
		if (this.queue.length >= this.opts.maxQueuedMessages || this.queuedBytes + m.payload.length > this.opts.maxQueuedBytes)
			throw new RtmpError('too many messages while a publish was being authorized');
		this.queue.push(m);
		this.queuedBytes += m.payload.length;
	}

	/** Handles queued messages in order, pausing while one (a publish) is pending. */
	private drain() {
		try {
			while (!this.busy && this.queue.length && this.state === 'chunks') {
				const m = this.queue.shift()!;
				this.queuedBytes -= m.payload.length;
				const wait = this.message(m);
				if (wait) {
					this.busy = true;
					wait.then(
						() => {
							this.busy = false;
							this.drain();
						},
						(e) => {
							this.busy = false;
							this.fail(e);
						}
					);
				}
			}
		} catch (e) {
			this.fail(e);
		}
	}

	private controlMessage(m: RtmpMessage) {
		const p = m.payload;
		switch (m.type) {
			case MSG.WINDOW_ACK_SIZE:
				if (p.length >= 4) this.peerWindow = p.readUInt32BE(0);
				return;
			case MSG.USER_CONTROL:
				if (p.length >= 6 && p.readUInt16BE(0) === USER_CONTROL.PING_REQUEST) this.send(userControl(USER_CONTROL.PING_RESPONSE, p.readUInt32BE(2)));
				return;
			default:
				// Set Chunk Size and Abort: applied by the reader. Ack, Set Peer Bandwidth: nothing to do.
				return;
		}
	}

	/** One message in order; a promise when later messages must wait for it. */
	private message(m: RtmpMessage): Promise<void> | undefined {
		switch (m.type) {
			case MSG.COMMAND_AMF0:
			case MSG.COMMAND_AMF3:
				return this.command(m);
			case MSG.DATA_AMF0:
			case MSG.DATA_AMF3:
				return this.data(parseData(m), m.streamId);
			case MSG.AUDIO:
			case MSG.VIDEO:
				return this.media(m.type, m.streamId, m.timestamp, m.payload);
			case MSG.AGGREGATE:
				return this.aggregate(m);
			default:
				return undefined; // shared objects and unknown types: not for a publisher
		}
	}

	private command(m: RtmpMessage): Promise<void> | undefined {
		const c = parseCommand(m);
		const [, first] = c.args;
		switch (c.name) {
			case 'connect':
				return this.connect(c.transactionId, amfObject(c.args[0]));
			case 'releaseStream':
			case 'FCPublish':
			case 'FCUnpublish':
			case '_checkbw':
			case 'getStreamLength':
				if (c.name === 'FCUnpublish') this.stopPublishing('unpublished');
				if (c.transactionId) this.send(command(0, '_result', c.transactionId, null, undefined));
				return;
			case 'createStream':
				this.send(command(0, '_result', c.transactionId, null, this.nextStreamId++));
				return;
			case 'publish':
				return this.publish(m.streamId, typeof first === 'string' ? first : '');
			case 'deleteStream':
			case 'closeStream': {
				const id = typeof first === 'number' ? first : m.streamId;
				if (this.publishStream !== undefined && (id === this.publishStream || c.name === 'closeStream')) {
					this.send(onStatus(this.publishStream, status('status', 'NetStream.Unpublish.Success', 'stream unpublished')));
					this.stopPublishing('unpublished');
				}
				return;
			}
			case 'play':
			case 'play2':
				this.send(onStatus(m.streamId, status('error', 'NetStream.Play.Failed', NO_PLAY)));
				this.close('play is not supported');
				return;
			default:
				if (c.transactionId) this.send(command(0, '_error', c.transactionId, null, status('error', 'NetConnection.Call.Failed', `unknown command ${c.name}`)));
				return;
		}
	}

	private connect(transactionId: number, obj: Record<string, AmfValue> | undefined) {
		if (this.connected) throw new RtmpError('connect sent twice');
		this.connected = true;
		this.app = typeof obj?.app === 'string' ? obj.app : '';
		this.tcUrl = typeof obj?.tcUrl === 'string' ? obj.tcUrl : '';
		this.send(windowAckSize(this.opts.windowAckSize));
		this.send(setPeerBandwidth(this.opts.windowAckSize, 2));
		this.send(setChunkSize(this.opts.chunkSize));
		this.writer.chunkSize = this.opts.chunkSize;
		this.send(
			command(
				0,
				'_result',
				transactionId || 1,
				{ fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
				status('status', 'NetConnection.Connect.Success', 'Connection succeeded.', { objectEncoding: 0 })
			)
		);
		return undefined;
	}

	private async publish(streamId: number, fullName: string) {
		if (!this.connected) throw new RtmpError('publish before connect');
		if (this.publishStream !== undefined) throw new RtmpError('publish while already publishing');
		const q = fullName.indexOf('?');
		const name = q < 0 ? fullName : fullName.slice(0, q);
		const query = new URLSearchParams(q < 0 ? '' : fullName.slice(q + 1));
		const aq = this.app.indexOf('?');
		const app = aq < 0 ? this.app : this.app.slice(0, aq);
		const key = query.get('key') ?? new URLSearchParams(aq < 0 ? '' : this.app.slice(aq + 1)).get('key') ?? tcUrlKey(this.tcUrl);
		try {
			await this.handler.authorize({ app, name, key, query, tcUrl: this.tcUrl, remoteAddress: this.opts.remoteAddress });
		} catch (e) {
			return this.refuse(streamId, e);
		}
		if (this.state === 'closed') return;
		this.publishStream = streamId;
		this.send(userControl(USER_CONTROL.STREAM_BEGIN, streamId));
		this.send(onStatus(streamId, status('status', 'NetStream.Publish.Start', `${name} is now published.`, { details: name })));
		this.startTimer = setTimeout(() => {
			if (!this.started) this.refuse(streamId, new RtmpRefusal('NetStream.Publish.Failed', 'no video received: a stream needs H.264 or H.265 video'));
		}, this.opts.startTimeoutMs);
		this.startTimer.unref?.();
		this.ingest = new FlvIngest({
			start: (tracks) => {
				this.handler.start(tracks);
				this.started = true;
				clearTimeout(this.startTimer);
			},
			video: (data, dts, pts, keyframe) => this.handler.video(data, dts, pts, keyframe),
			audio: (data, pts) => this.handler.audio(data, pts),
			stop: (reason) => {
				this.started = false;
				this.handler.stop(reason);
			},
			log: (message) => this.handler.log?.(message)
		});
	}

	private data(values: AmfValue[], streamId: number) {
		if (!this.ingest || streamId !== this.publishStream) return undefined;
		const at = values[0] === '@setDataFrame' ? 1 : 0;
		if (values[at] === 'onMetaData') this.ingest.metadata(values[at + 1]);
		return undefined;
	}

	private media(type: number, streamId: number, timestamp: number, body: Buffer) {
		if (!this.ingest || streamId !== this.publishStream || body.length === 0) return undefined;
		const ts = this.unwrap(timestamp);
		if (type === MSG.VIDEO) this.ingest.videoTag(ts, body);
		else this.ingest.audioTag(ts, body);
		return undefined;
	}

	/** An aggregate message: FLV tags back to back, their times relative to the first. */
	private aggregate(m: RtmpMessage) {
		const b = m.payload;
		let off = 0;
		let first: number | undefined;
		while (off + 11 <= b.length) {
			const type = b[off] & 0x1f;
			const size = b.readUIntBE(off + 1, 3);
			const ts = (b.readUIntBE(off + 4, 3) | (b[off + 7] << 24)) >>> 0;
			if (off + 11 + size > b.length) throw new RtmpError('aggregate message: truncated tag');
			const body = b.subarray(off + 11, off + 11 + size);
			first ??= ts;
			const at = (m.timestamp + ts - first) >>> 0;
			if (type === MSG.AUDIO || type === MSG.VIDEO) this.media(type, m.streamId, at, body);
			else if (type === MSG.DATA_AMF0) this.data(parseData({ ...m, type, payload: body }), m.streamId);
			off += 11 + size + 4; // and the PreviousTagSize
		}
		return undefined;
	}

	/** 32-bit RTMP time → ms on a timeline that does not wrap. */
	private unwrap(ts: number): number {
		const raw = ts >>> 0;
		if (this.tsLast !== undefined) {
			const diff = raw - this.tsLast;
			if (diff < -0x8000_0000) this.tsEpoch += 0x1_0000_0000;
			else if (diff > 0x8000_0000) return this.tsEpoch - 0x1_0000_0000 + raw; // a late one from before the wrap
		}
		this.tsLast = raw;
		return this.tsEpoch + raw;
	}

	private refuse(streamId: number, e: unknown) {
		const refusal = e instanceof RtmpRefusal ? e : undefined;
		if (!refusal) this.handler.log?.(`publish failed: ${e instanceof Error ? e.message : String(e)}`);
		const code = refusal?.code ?? 'NetStream.Publish.Failed';
		if (this.state !== 'closed') this.send(onStatus(streamId, status('error', code, refusal?.message ?? 'publish failed')));
		this.close(refusal?.message ?? 'publish failed');
	}

	private stopPublishing(reason: string) {
		clearTimeout(this.startTimer);
		const wasStarted = this.started;
		this.started = false;
		this.ingest = undefined;
		this.publishStream = undefined;
		if (wasStarted) this.safely(() => this.handler.stop(reason));
	}

	private fail(e: unknown) {
		if (this.state === 'closed') return;
		if (e instanceof RtmpRefusal) return this.refuse(this.publishStream ?? 1, e);
		if (e instanceof FlvError && this.publishStream !== undefined) return this.refuse(this.publishStream, new RtmpRefusal('NetStream.Publish.Failed', e.message));
		const known = e instanceof RtmpError || e instanceof HandshakeError || e instanceof FlvError;
		const message = e instanceof Error ? e.message : String(e);
		this.handler.log?.(known ? `closing: ${message}` : `closing after an internal error: ${(e as Error)?.stack ?? message}`);
		this.close(known ? message : 'internal error');
	}

	private send(m: RtmpMessage) {
		if (this.state === 'closed') return;
		this.io.write(this.writer.write(m));
	}

	private safely(fn: () => void) {
		try {
			fn();
		} catch (e) {
			this.handler.log?.(`handler error: ${e instanceof Error ? e.message : String(e)}`);
		}
	}
}

function tcUrlKey(tcUrl: string): string | null {
	const q = tcUrl.indexOf('?');
	return q < 0 ? null : new URLSearchParams(tcUrl.slice(q + 1)).get('key');
}

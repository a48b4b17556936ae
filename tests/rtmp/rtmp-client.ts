// A small RTMP client for tests: handshake, commands, messages in and out.
// Built on the protocol modules under test (their writer feeds their reader
// elsewhere; here it talks to a server over TCP).
import { connect as tcpConnect, type Socket } from 'node:net';
import { ChunkReader, ChunkWriter, MSG, type RtmpMessage } from '../../src/lib/server/media/rtmp/chunk';
import { HANDSHAKE_SIZE, clientHello } from '../../src/lib/server/media/rtmp/handshake';
import { command, parseCommand, setChunkSize } from '../../src/lib/server/media/rtmp/messages';
import { amfObject, type AmfObject, type AmfValue } from '../../src/lib/server/media/flv/amf0';

export class TestRtmpClient {
	readonly reader = new ChunkReader();
	readonly writer = new ChunkWriter();
	readonly messages: RtmpMessage[] = [];
	closed = false;
	private waiters: (() => void)[] = [];
	private txn = 1;

	private constructor(readonly socket: Socket) {}

	/** Connects and completes the handshake (simple, or with a player digest). */
	static async open(port: number, options: { digest?: 8 | 772 } = {}): Promise<TestRtmpClient> {
		const socket = tcpConnect({ port, host: '127.0.0.1' });
		await new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('error', reject)));
		const client = new TestRtmpClient(socket);
		const hello = clientHello(options.digest);
		socket.write(hello);
		let buf = Buffer.alloc(0);
		await new Promise<void>((resolve, reject) => {
			const onData = (d: Buffer) => {
				buf = Buffer.concat([buf, d]);
				if (buf.length >= 1 + 2 * HANDSHAKE_SIZE) {
					socket.off('data', onData);
					resolve();
				}
			};
			socket.on('data', onData);
			socket.once('close', () => reject(new Error('closed during handshake')));
		});
		socket.write(buf.subarray(1, 1 + HANDSHAKE_SIZE)); // C2 = S1
		client.s0s1s2 = buf.subarray(0, 1 + 2 * HANDSHAKE_SIZE);
		client.c1 = hello.subarray(1);
		socket.on('data', (d: Buffer) => {
			try {
				client.messages.push(...client.reader.push(d));
			} catch {
				socket.destroy();
			}
			client.wake();
		});
		socket.on('error', () => {});
		socket.on('close', () => {
			client.closed = true;
			client.wake();
		});
		const rest = buf.subarray(1 + 2 * HANDSHAKE_SIZE);
		if (rest.length) client.messages.push(...client.reader.push(rest));
		return client;
	}

	s0s1s2: Buffer = Buffer.alloc(0);
	c1: Buffer = Buffer.alloc(0);

	private wake() {
		for (const w of this.waiters.splice(0)) w();
	}

	send(msg: RtmpMessage) {
		if (!this.socket.destroyed) this.socket.write(this.writer.write(msg));
	}

	raw(data: Buffer) {
		if (!this.socket.destroyed) this.socket.write(data);
	}

	setChunkSize(size: number) {
		this.send(setChunkSize(size));
		this.writer.chunkSize = size;
	}

	call(streamId: number, name: string, ...args: AmfValue[]): number {
		const id = this.txn++;
		this.send(command(streamId, name, id, ...args));
		return id;
	}

	/** The first message (already received or coming) that matches, else throws after `ms`. */
	async next(match: (m: RtmpMessage) => boolean, ms = 5000): Promise<RtmpMessage> {
		const deadline = Date.now() + ms;
		for (;;) {
			const i = this.messages.findIndex(match);
			if (i >= 0) return this.messages.splice(i, 1)[0];
			if (this.closed) throw new Error('connection closed');
			const left = deadline - Date.now();
			if (left <= 0) throw new Error('timed out waiting for a message');
			await new Promise<void>((resolve) => {
				const t = setTimeout(resolve, left);
				this.waiters.push(() => (clearTimeout(t), resolve()));
			});
		}
	}

	/** A command reply (by transaction id) or onStatus. */
	async reply(name: string | string[], txn?: number, ms?: number) {
		const names = Array.isArray(name) ? name : [name];
		const m = await this.next((m) => {
			if (m.type !== MSG.COMMAND_AMF0) return false;
			const c = parseCommand(m);
			return names.includes(c.name) && (txn === undefined || c.transactionId === txn);
		}, ms);
		return parseCommand(m);
	}

	async connect(app = 'live', tcUrl = `rtmp://127.0.0.1/${app}`) {
		const txn = this.call(0, 'connect', { app, type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl });
		return this.reply(['_result', '_error'], txn);
	}

	/** createStream + publish; the onStatus info object. */
	async publish(name: string): Promise<{ streamId: number; info: AmfObject }> {
		this.call(0, 'releaseStream', null, name);
		this.call(0, 'FCPublish', null, name);
		const txn = this.call(0, 'createStream', null);
		const result = await this.reply('_result', txn);
		const streamId = result.args[1] as number;
		this.call(streamId, 'publish', null, name, 'live');
		const status = await this.reply('onStatus');
		return { streamId, info: amfObject(status.args[1])! };
	}

	async waitClosed(ms = 5000) {
		const deadline = Date.now() + ms;
		while (!this.closed) {
			if (Date.now() > deadline) throw new Error('connection still open');
			await new Promise<void>((resolve) => {
				const t = setTimeout(resolve, 100);
				this.waiters.push(() => (clearTimeout(t), resolve()));
			});
		}
	}

	close() {
		this.socket.destroy();
	}
}

export const media = (type: 8 | 9, streamId: number, timestamp: number, payload: Buffer): RtmpMessage => ({
	csid: type === MSG.AUDIO ? 4 : 6,
	type,
	streamId,
	timestamp,
	payload
});

// A bare RTSP client for tests: sends requests (or any bytes), reads
// responses and interleaved frames with the server's own parser.
import net from 'node:net';
import { RtspHeaders, RtspParser, serializeRequest, type RtspResponse } from '../../src/lib/server/media/rtsp/message';

export class RawClient {
	readonly socket: net.Socket;
	private parser = new RtspParser({ maxBodyBytes: 1 << 20 });
	private responses: RtspResponse[] = [];
	private waiters: ((r: RtspResponse) => void)[] = [];
	private cseq = 0;
	/** Interleaved frames received, by channel. */
	readonly frames = new Map<number, Buffer[]>();
	frameBytes = 0;
	closed = false;
	private ready: Promise<void>;

	constructor(port: number, host = '127.0.0.1') {
		this.socket = net.connect(port, host);
		this.ready = new Promise((resolve, reject) => {
			this.socket.once('connect', resolve);
			this.socket.once('error', reject);
		});
		this.socket.on('error', () => {});
		this.socket.on('close', () => {
			this.closed = true;
		});
		this.socket.on('data', (d: Buffer) => {
			for (const m of this.parser.push(d)) {
				if (m.type === 'response') {
					const w = this.waiters.shift();
					if (w) w(m.response);
					else this.responses.push(m.response);
				} else if (m.type === 'data') {
					this.frameBytes += m.data.length;
					const list = this.frames.get(m.channel) ?? [];
					if (list.length < 5000) list.push(m.data);
					this.frames.set(m.channel, list);
				}
			}
		});
	}

	connected() {
		return this.ready;
	}

	send(bytes: Buffer | string) {
		this.socket.write(bytes);
	}

	next(timeoutMs = 15_000): Promise<RtspResponse> {
		const r = this.responses.shift();
		if (r) return Promise.resolve(r);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('no RTSP response')), timeoutMs);
			this.waiters.push((res) => {
				clearTimeout(timer);
				resolve(res);
			});
		});
	}

	async request(method: string, uri: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RtspResponse> {
		await this.ready;
		const h = new RtspHeaders({ CSeq: String(++this.cseq), ...headers });
		this.socket.write(serializeRequest({ method, uri, headers: h, body }));
		return this.next();
	}

	/** Resolves when the server closes the connection (or after `ms`, false). */
	waitClosed(ms = 5000): Promise<boolean> {
		if (this.closed) return Promise.resolve(true);
		return new Promise((resolve) => {
			const timer = setTimeout(() => resolve(false), ms);
			this.socket.once('close', () => {
				clearTimeout(timer);
				resolve(true);
			});
		});
	}

	close() {
		this.socket.destroy();
	}
}

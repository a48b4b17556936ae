// RTP/RTCP over UDP: a pair of sockets (RTP on an even port, RTCP on the next)
// per track of a session, taken from the configured port range. A port that
// is in use (by anything) is skipped.
import dgram from 'node:dgram';

export interface UdpPair {
	rtp: dgram.Socket;
	rtcp: dgram.Socket;
	ports: [number, number];
	close(): void;
}

function bind(type: 'udp4' | 'udp6', port: number): Promise<dgram.Socket> {
	return new Promise((resolve, reject) => {
		const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
		const fail = (e: Error) => {
			try {
				s.close();
			} catch {
				/* never bound */
			}
			reject(e);
		};
		s.once('error', fail);
		s.bind(port, type === 'udp6' ? '::' : '0.0.0.0', () => {
			s.off('error', fail);
			// An unhandled 'error' would crash the process: ICMP errors and the like are not ours to die of.
			s.on('error', () => {});
			resolve(s);
		});
	});
}

export class UdpPortPool {
	private next: number;
	readonly open = new Set<UdpPair>();

	constructor(readonly range: [number, number]) {
		const first = range[0] + (range[0] & 1);
		this.next = first;
	}

	/** A bound pair; throws when the whole range is taken. */
	async allocate(type: 'udp4' | 'udp6'): Promise<UdpPair> {
		const [min, max] = this.range;
		const first = min + (min & 1);
		const pairs = Math.floor((max - first + 1) / 2);
		for (let i = 0; i < pairs; i++) {
			const port = this.next;
			this.next = this.next + 2 > max - 1 ? first : this.next + 2;
			let rtp: dgram.Socket | undefined;
			try {
				rtp = await bind(type, port);
				const rtcp = await bind(type, port + 1);
				const pair: UdpPair = {
					rtp,
					rtcp,
					ports: [port, port + 1],
					close: () => {
						if (!this.open.delete(pair)) return;
						rtp!.close();
						rtcp.close();
					}
				};
				this.open.add(pair);
				return pair;
			} catch {
				rtp?.close();
			}
		}
		throw new Error('no free UDP port pair in the RTP port range');
	}

	closeAll() {
		for (const p of [...this.open]) p.close();
	}
}

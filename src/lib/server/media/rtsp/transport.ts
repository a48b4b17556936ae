// The Transport header (RFC 2326 §12.39): how a client wants one track
// carried. A client may offer several, comma-separated, best first. Pure code.

export interface TransportSpec {
	/** "RTP/AVP", "RTP/AVPF", "RTP/SAVP", … (without the lower transport). */
	profile: string;
	lower: 'udp' | 'tcp';
	multicast: boolean;
	/** TCP: the interleaved channels for RTP and RTCP. */
	interleaved?: [number, number];
	/** UDP: the client's RTP and RTCP ports. */
	clientPort?: [number, number];
	serverPort?: [number, number];
	/** "play" unless the client asks to record (push). */
	mode: 'play' | 'record';
	ssrc?: number;
}

export class TransportError extends Error {}

function range(value: string, max: number): [number, number] {
	const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value.trim());
	if (!m) throw new TransportError(`bad range "${value.slice(0, 40)}"`);
	const a = Number(m[1]);
	const b = m[2] === undefined ? a + 1 : Number(m[2]);
	if (a > max || b > max) throw new TransportError(`range out of bounds "${value.slice(0, 40)}"`);
	return [a, b];
}

/** One transport specification ("RTP/AVP/TCP;unicast;interleaved=0-1"). Throws TransportError. */
export function parseTransportSpec(text: string): TransportSpec {
	const [proto, ...params] = text.split(';').map((p) => p.trim());
	const parts = proto.toUpperCase().split('/');
	if (parts.length < 2 || parts.length > 3 || parts[0] !== 'RTP' || !/^[A-Z]+$/.test(parts[1])) throw new TransportError(`unsupported transport "${proto.slice(0, 40)}"`);
	const lowerRaw = parts[2] ?? 'UDP';
	if (lowerRaw !== 'UDP' && lowerRaw !== 'TCP') throw new TransportError(`unsupported lower transport "${lowerRaw.slice(0, 10)}"`);
	const spec: TransportSpec = { profile: `RTP/${parts[1]}`, lower: lowerRaw === 'TCP' ? 'tcp' : 'udp', multicast: false, mode: 'play' };
	for (const p of params) {
		if (!p) continue;
		const eq = p.indexOf('=');
		const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
		const value = eq < 0 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
		switch (key) {
			case 'multicast':
				spec.multicast = true;
				break;
			case 'unicast':
				spec.multicast = false;
				break;
			case 'interleaved':
				spec.interleaved = range(value, 255);
				break;
			case 'client_port':
				spec.clientPort = range(value, 65535);
				break;
			case 'server_port':
				spec.serverPort = range(value, 65535);
				break;
			case 'mode': {
				const mode = value.toLowerCase();
				// "receive" is what some old clients say for record.
				if (mode === 'record' || mode === 'receive') spec.mode = 'record';
				else if (mode === 'play') spec.mode = 'play';
				else throw new TransportError(`unsupported mode "${value.slice(0, 20)}"`);
				break;
			}
			case 'ssrc':
				if (/^[0-9a-f]{1,8}$/i.test(value)) spec.ssrc = parseInt(value, 16);
				break;
			default:
			// destination, source, ttl, layers, append, port: not used for unicast.
		}
	}
	return spec;
}

/** Every well-formed specification in a Transport header, in the client's order (malformed ones skipped). */
export function parseTransport(header: string): TransportSpec[] {
	const out: TransportSpec[] = [];
	for (const part of header.split(',')) {
		if (!part.trim()) continue;
		try {
			out.push(parseTransportSpec(part));
		} catch {
			/* an alternative we can't read: try the next */
		}
	}
	return out;
}

export function formatTransport(spec: TransportSpec): string {
	const p = [spec.lower === 'tcp' ? `${spec.profile}/TCP` : spec.profile, spec.multicast ? 'multicast' : 'unicast'];
	if (spec.interleaved) p.push(`interleaved=${spec.interleaved[0]}-${spec.interleaved[1]}`);
	if (spec.clientPort) p.push(`client_port=${spec.clientPort[0]}-${spec.clientPort[1]}`);
	if (spec.serverPort) p.push(`server_port=${spec.serverPort[0]}-${spec.serverPort[1]}`);
	if (spec.ssrc !== undefined) p.push(`ssrc=${(spec.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
	if (spec.mode === 'record') p.push('mode=record');
	return p.join(';');
}

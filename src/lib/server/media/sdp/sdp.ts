// A small, lossless SDP (RFC 8866) model: the session section and the media
// sections as ordered lines, with helpers for the attributes WebRTC uses
// (RFC 8829 JSEP). Parsing keeps every line; serializing writes CRLF lines.
// Pure code.

export interface SdpMedia {
	kind: string;
	port: number;
	proto: string;
	/** Payload types (RTP) or format tokens (e.g. "webrtc-datachannel"). */
	formats: string[];
	/** The lines after the m= line, each "x=value". */
	lines: string[];
}

export interface Sdp {
	/** Session-level lines, from v= up to the first m= line. */
	session: string[];
	media: SdpMedia[];
}

export function parseSdp(text: string): Sdp {
	const sdp: Sdp = { session: [], media: [] };
	let current: SdpMedia | null = null;
	for (const raw of text.split(/\r?\n/)) {
		const line = raw.trimEnd();
		if (!line) continue;
		if (!/^[a-z]=/.test(line)) throw new Error(`bad SDP line: ${line.slice(0, 60)}`);
		if (line.startsWith('m=')) {
			const [kind, port, proto, ...formats] = line.slice(2).split(/\s+/);
			if (!kind || port === undefined || !proto) throw new Error(`bad m= line: ${line}`);
			current = { kind, port: parseInt(port, 10), proto, formats, lines: [] };
			sdp.media.push(current);
		} else if (current) current.lines.push(line);
		else sdp.session.push(line);
	}
	if (!sdp.session[0]?.startsWith('v=')) throw new Error('SDP must start with v=');
	return sdp;
}

export function serializeSdp(sdp: Sdp): string {
	const out = [...sdp.session];
	for (const m of sdp.media) out.push(`m=${m.kind} ${m.port} ${m.proto} ${m.formats.join(' ')}`, ...m.lines);
	return out.join('\r\n') + '\r\n';
}

/** Values of all `a=<name>:value` (or flag `a=<name>`, value "") lines. */
export function attrs(lines: string[], name: string): string[] {
	const out: string[] = [];
	for (const l of lines) {
		if (!l.startsWith('a=')) continue;
		const colon = l.indexOf(':');
		const key = colon < 0 ? l.slice(2) : l.slice(2, colon);
		if (key === name) out.push(colon < 0 ? '' : l.slice(colon + 1));
	}
	return out;
}

export function attr(lines: string[], name: string): string | undefined {
	return attrs(lines, name)[0];
}

/** A media-level attribute, falling back to the session level (ice-ufrag, ice-pwd, fingerprint, setup may be either). */
export function mediaOrSessionAttr(sdp: Sdp, m: SdpMedia, name: string): string | undefined {
	return attr(m.lines, name) ?? attr(sdp.session, name);
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export function direction(sdp: Sdp, m: SdpMedia): Direction {
	for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
		if (attrs(m.lines, d).length) return d;
	}
	for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
		if (attrs(sdp.session, d).length) return d;
	}
	return 'sendrecv';
}

export interface RtpCodec {
	pt: number;
	/** Encoding name as written, e.g. "H264", "rtx". */
	name: string;
	clockRate: number;
	channels?: number;
	/** The a=fmtp value, "" when absent. */
	fmtp: string;
	/** a=rtcp-fb values for this payload type (and for "*"), e.g. ["nack", "nack pli", "goog-remb"]. */
	rtcpFb: string[];
}

/** The RTP codecs of a media section, in m= line order. */
export function rtpCodecs(m: SdpMedia): RtpCodec[] {
	const codecs: RtpCodec[] = [];
	const rtpmap = new Map<number, string>();
	for (const v of attrs(m.lines, 'rtpmap')) {
		const sp = v.indexOf(' ');
		rtpmap.set(parseInt(v.slice(0, sp), 10), v.slice(sp + 1));
	}
	const fmtp = new Map<number, string>();
	for (const v of attrs(m.lines, 'fmtp')) {
		const sp = v.indexOf(' ');
		fmtp.set(parseInt(v.slice(0, sp), 10), sp < 0 ? '' : v.slice(sp + 1));
	}
	const fb = attrs(m.lines, 'rtcp-fb').map((v) => {
		const sp = v.indexOf(' ');
		return { pt: v.slice(0, sp), value: v.slice(sp + 1) };
	});
	for (const f of m.formats) {
		const pt = parseInt(f, 10);
		if (!Number.isInteger(pt)) continue;
		const map = rtpmap.get(pt);
		if (!map) continue;
		const [name, clock, channels] = map.split('/');
		codecs.push({
			pt,
			name,
			clockRate: parseInt(clock, 10),
			channels: channels ? parseInt(channels, 10) : undefined,
			fmtp: fmtp.get(pt) ?? '',
			rtcpFb: fb.filter((x) => x.pt === String(pt) || x.pt === '*').map((x) => x.value)
		});
	}
	return codecs;
}

/** fmtp "a=1;b=2" as a map with lower-case keys. */
export function parseFmtp(fmtp: string): Map<string, string> {
	const out = new Map<string, string>();
	for (const part of fmtp.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) {
			if (part.trim()) out.set(part.trim().toLowerCase(), '');
		} else out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
	}
	return out;
}

/** The c= address of a media section (or of the session). */
export function connection(sdp: Sdp, m: SdpMedia): string | undefined {
	return (m.lines.find((l) => l.startsWith('c=')) ?? sdp.session.find((l) => l.startsWith('c=')))?.slice(2);
}

/** Whether the media section is rejected (port 0) and not bundled-only. */
export function isRejected(m: SdpMedia): boolean {
	return m.port === 0 && !attrs(m.lines, 'bundle-only').length;
}

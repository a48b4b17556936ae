// What RFC 6184 (H.264) and RFC 7798 (H.265) payloads share: small NAL units
// aggregated with 16-bit lengths (STAP-A / AP), large ones cut into
// fragmentation units (FU-A / FU) whose header carries start/end bits and the
// NAL type, and the receiving side of both. Each codec supplies its headers.
import type { RtpPayload } from './packet';

export interface NalPayloadFormat {
	/** Bytes of the NAL unit header (1 for H.264, 2 for H.265). */
	nalHeaderSize: number;
	/** The aggregation packet's own header for these NAL units. */
	aggregationHeader(nals: Buffer[]): Buffer;
	/** The payload header bytes before the FU header, for fragments of this NAL unit. */
	fragmentPrefix(nal: Buffer): number[];
	/** The NAL type as an FU header carries it. */
	fragmentType(nal: Buffer): number;
}

/** One access unit's NAL units as RTP payloads; the marker bit on the last. */
export function packetizeNals(units: Buffer[], maxPayload: number, format: NalPayloadFormat): RtpPayload[] {
	const out: RtpPayload[] = [];
	let i = 0;
	while (i < units.length) {
		// Aggregate a run of small NAL units into one packet when two or more fit.
		let size = format.nalHeaderSize;
		let j = i;
		while (j < units.length && size + 2 + units[j].length <= maxPayload) {
			size += 2 + units[j].length;
			j++;
		}
		if (j - i >= 2) {
			out.push({ payload: aggregate(units.slice(i, j), format), marker: false });
			i = j;
			continue;
		}
		const nal = units[i++];
		if (nal.length <= maxPayload) out.push({ payload: nal, marker: false });
		else out.push(...fragments(nal, maxPayload, format));
	}
	if (out.length) out[out.length - 1].marker = true;
	return out;
}

function aggregate(nals: Buffer[], format: NalPayloadFormat): Buffer {
	const header = format.aggregationHeader(nals);
	const out = Buffer.allocUnsafe(header.length + nals.reduce((s, n) => s + 2 + n.length, 0));
	header.copy(out, 0);
	let off = header.length;
	for (const n of nals) {
		out.writeUInt16BE(n.length, off);
		out.set(n, off + 2);
		off += 2 + n.length;
	}
	return out;
}

function fragments(nal: Buffer, maxPayload: number, format: NalPayloadFormat): RtpPayload[] {
	const prefix = format.fragmentPrefix(nal);
	const type = format.fragmentType(nal);
	const head = prefix.length + 1;
	const chunk = maxPayload - head;
	const out: RtpPayload[] = [];
	for (let off = format.nalHeaderSize; off < nal.length; off += chunk) {
		const end = Math.min(off + chunk, nal.length);
		const p = Buffer.allocUnsafe(head + end - off);
		p.set(prefix, 0);
		p[prefix.length] = (off === format.nalHeaderSize ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
		nal.copy(p, head, off, end);
		out.push({ payload: p, marker: false });
	}
	return out;
}

/** The NAL units of an aggregation packet whose own header is `headerSize` bytes. */
export function splitAggregate(payload: Buffer, headerSize: number): Buffer[] {
	const nals: Buffer[] = [];
	for (let off = headerSize; off + 2 <= payload.length; ) {
		const len = payload.readUInt16BE(off);
		if (off + 2 + len > payload.length) throw new Error('aggregated NAL unit runs past the payload');
		nals.push(Buffer.from(payload.subarray(off + 2, off + 2 + len)));
		off += 2 + len;
	}
	return nals;
}

/** Reassembles fragmentation units; a gap in sequence numbers drops the NAL unit being built. */
export class FragmentJoiner {
	private parts: Buffer[] | null = null;
	private lastSeq: number | null = null;

	/** Notes a packet's sequence number (when known) before it is handled. */
	sequence(seq: number | undefined) {
		if (seq === undefined) return;
		if (this.lastSeq !== null && seq !== ((this.lastSeq + 1) & 0xffff)) this.parts = null;
		this.lastSeq = seq;
	}

	reset() {
		this.parts = null;
	}

	/** A fragment's data; `header` (the rebuilt NAL header) on the first. The whole NAL unit after the last. */
	push(data: Buffer, start: boolean, end: boolean, header: Buffer): Buffer[] {
		if (start) this.parts = [header];
		if (!this.parts) return [];
		this.parts.push(Buffer.from(data));
		if (!end) return [];
		const nal = Buffer.concat(this.parts);
		this.parts = null;
		return [nal];
	}
}

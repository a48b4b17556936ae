// SDP as RTSP uses it (RFC 2326 Appendix C, RFC 8866): the description a
// server answers DESCRIBE with, built from the hub's tracks, and the one a
// publisher sends with ANNOUNCE, read leniently. Codec parameters: H.264
// (RFC 6184 sprop-parameter-sets), H.265 (RFC 7798 sprop-vps/sps/pps), AAC
// (RFC 3640 mpeg4-generic config=), Opus (RFC 7587). Pure code.
import type { TrackInfo } from '../types';
import { parseAvcC } from '../h264/avcc';
import { parseHvcC } from '../h264/hvcc';
import { H264_NAL, h264NalType } from '../h264/nal';
import { AAC_HBR, aacFmtp } from '../rtp/aac-packetizer';

export interface SdpTrack {
	kind: 'video' | 'audio';
	payloadType: number;
	/** rtpmap encoding name: H264, H265, MPEG4-GENERIC, opus. */
	encoding: string;
	clockRate: number;
	channels?: number;
	/** The a=fmtp parameters, "k=v;k=v". */
	fmtp?: string;
	/** a=control (relative to the Content-Base). */
	control: string;
}

const b64 = (b: Buffer) => b.toString('base64');

/** How a hub track is described and sent over RTP; undefined for codecs RTSP output doesn't carry. */
export function describeTrack(track: TrackInfo, payloadType: number, control: string): SdpTrack | undefined {
	const base = { kind: track.kind, payloadType, control };
	switch (track.codec) {
		case 'h264': {
			let fmtp = 'packetization-mode=1';
			if (track.config) {
				try {
					const c = parseAvcC(track.config);
					fmtp += `;profile-level-id=${c.profileLevelId}`;
					if (c.sps.length && c.pps.length) fmtp += `;sprop-parameter-sets=${[...c.sps, ...c.pps].map(b64).join(',')}`;
				} catch {
					/* a broken avcC: the parameter sets come in-band */
				}
			}
			return { ...base, encoding: 'H264', clockRate: 90000, fmtp };
		}
		case 'h265': {
			let fmtp: string | undefined;
			if (track.config) {
				try {
					const c = parseHvcC(track.config);
					const p: string[] = [];
					if (c.vps.length) p.push(`sprop-vps=${c.vps.map(b64).join(',')}`);
					if (c.sps.length) p.push(`sprop-sps=${c.sps.map(b64).join(',')}`);
					if (c.pps.length) p.push(`sprop-pps=${c.pps.map(b64).join(',')}`);
					fmtp = p.join(';') || undefined;
				} catch {
					/* in-band parameter sets */
				}
			}
			return { ...base, encoding: 'H265', clockRate: 90000, fmtp };
		}
		case 'aac': {
			if (!track.config?.length) return undefined;
			const channels = track.channels ?? 2;
			return { ...base, encoding: 'MPEG4-GENERIC', clockRate: track.timescale, channels, fmtp: aacFmtp(track.config, AAC_HBR) };
		}
		case 'opus': {
			const stereo = (track.channels ?? 2) > 1;
			return { ...base, encoding: 'opus', clockRate: 48000, channels: 2, fmtp: stereo ? 'sprop-stereo=1' : 'sprop-stereo=0' };
		}
		default:
			return undefined;
	}
}

export function buildSdp(opts: { sessionId: string; name: string; address?: string; tracks: SdpTrack[] }): string {
	const addr = opts.address ?? '0.0.0.0';
	const ipv = addr.includes(':') ? 'IP6' : 'IP4';
	const lines = [
		'v=0',
		`o=- ${opts.sessionId} 1 IN ${ipv} ${addr}`,
		`s=${opts.name.replace(/[\r\n]/g, ' ') || 'Stream'}`,
		`c=IN ${ipv} ${ipv === 'IP6' ? '::' : '0.0.0.0'}`,
		't=0 0',
		'a=tool:vantage',
		'a=control:*'
	];
	for (const t of opts.tracks) {
		lines.push(`m=${t.kind} 0 RTP/AVP ${t.payloadType}`);
		lines.push(`a=rtpmap:${t.payloadType} ${t.encoding}/${t.clockRate}${t.channels ? `/${t.channels}` : ''}`);
		if (t.fmtp) lines.push(`a=fmtp:${t.payloadType} ${t.fmtp}`);
		lines.push(`a=control:${t.control}`);
	}
	return lines.join('\r\n') + '\r\n';
}

/** A media section of an announced SDP, its first payload format read. */
export interface AnnouncedMedia {
	kind: string;
	proto: string;
	payloadType: number;
	/** Upper-cased encoding name from a=rtpmap (or the static payload type's). */
	encoding: string;
	clockRate: number;
	channels?: number;
	/** a=fmtp parameters of that payload type, keys lower-cased. */
	fmtp: Record<string, string>;
	control?: string;
}

const STATIC_TYPES: Record<number, [string, number, number?]> = {
	0: ['PCMU', 8000, 1],
	8: ['PCMA', 8000, 1],
	9: ['G722', 8000, 1],
	14: ['MPA', 90000],
	26: ['JPEG', 90000],
	32: ['MPV', 90000],
	33: ['MP2T', 90000]
};

export function parseFmtp(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const part of text.split(';')) {
		const eq = part.indexOf('=');
		const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
		if (key) out[key] = eq < 0 ? '' : part.slice(eq + 1).trim();
	}
	return out;
}

/** The media sections of an SDP (lenient: unknown lines are skipped). Throws when there is no v= line. */
export function parseAnnouncedSdp(text: string): { media: AnnouncedMedia[]; control?: string } {
	const lines = text.split(/\r?\n/).map((l) => l.trim());
	if (!lines.some((l) => l.startsWith('v='))) throw new Error('not an SDP: no v= line');
	let sessionControl: string | undefined;
	const sections: { m: string; lines: string[] }[] = [];
	for (const l of lines) {
		if (l.startsWith('m=')) sections.push({ m: l.slice(2), lines: [] });
		else if (sections.length) sections[sections.length - 1].lines.push(l);
		else if (l.startsWith('a=control:')) sessionControl = l.slice(10).trim();
	}
	const media: AnnouncedMedia[] = [];
	for (const s of sections.slice(0, 16)) {
		const [kind, , proto, ...formats] = s.m.split(/\s+/);
		const pt = Number(formats[0]);
		if (!kind || !proto || !Number.isInteger(pt) || pt < 0 || pt > 127) continue;
		const entry: AnnouncedMedia = { kind, proto, payloadType: pt, encoding: STATIC_TYPES[pt]?.[0] ?? '', clockRate: STATIC_TYPES[pt]?.[1] ?? 0, fmtp: {} };
		if (STATIC_TYPES[pt]?.[2]) entry.channels = STATIC_TYPES[pt][2];
		for (const l of s.lines) {
			if (l.startsWith('a=rtpmap:')) {
				const m = /^a=rtpmap:(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(l);
				if (m && Number(m[1]) === pt) {
					entry.encoding = m[2].toUpperCase();
					entry.clockRate = Number(m[3]);
					if (m[4]) entry.channels = Number(m[4]);
				}
			} else if (l.startsWith('a=fmtp:')) {
				const m = /^a=fmtp:(\d+)\s+(.*)$/.exec(l);
				if (m && Number(m[1]) === pt) entry.fmtp = parseFmtp(m[2]);
			} else if (l.startsWith('a=control:')) entry.control = l.slice(10).trim();
		}
		media.push(entry);
	}
	return { media, control: sessionControl };
}

/** NAL units from a comma-separated base64 list (sprop-parameter-sets, sprop-sps, …). */
export function decodeSprop(value: string | undefined): Buffer[] {
	if (!value) return [];
	return value
		.split(',')
		.map((s) => s.trim())
		.filter((s) => /^[A-Za-z0-9+/=_-]+$/.test(s))
		.map((s) => Buffer.from(s, 'base64'))
		.filter((b) => b.length > 0);
}

/** SPS and PPS of an H.264 media section's sprop-parameter-sets. */
export function h264ParameterSets(fmtp: Record<string, string>): { sps: Buffer[]; pps: Buffer[] } {
	const nals = decodeSprop(fmtp['sprop-parameter-sets']);
	return { sps: nals.filter((n) => h264NalType(n) === H264_NAL.SPS), pps: nals.filter((n) => h264NalType(n) === H264_NAL.PPS) };
}

export function h265ParameterSets(fmtp: Record<string, string>): { vps: Buffer[]; sps: Buffer[]; pps: Buffer[] } {
	return { vps: decodeSprop(fmtp['sprop-vps']), sps: decodeSprop(fmtp['sprop-sps']), pps: decodeSprop(fmtp['sprop-pps']) };
}

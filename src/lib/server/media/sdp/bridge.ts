// The SDP bridge between a browser that OFFERS to receive and an SFU that can
// only OFFER to send (Janus 1.1.2 Streaming: `watch` always yields Janus's
// offer). Both sides get an ANSWER built from the other side's offer:
//
//   browser offer ──► answerForJanus(janusOffer, browserOffer) ──► Janus `start`
//   Janus offer   ──► answerForBrowser(browserOffer, janusOffer) ──► browser
//
// Each peer thus talks ICE/DTLS directly to the other: the ICE credentials,
// fingerprints and candidates cross over; DTLS roles are fixed (browser
// client, Janus server) by `a=setup:active` towards Janus and
// `a=setup:passive` towards the browser. Both peers believe they offered, so
// both start as ICE-controlling; the RFC 8445 §7.3.1.1 role-conflict
// procedure (487 + tie-breaker) settles it (either side may win; both work).
// RTP is identified by the browser through Janus's SSRCs (a=ssrc in its
// answer) and payload types that are the same on both legs: the Janus
// mountpoint must be configured with the PTs the browser offered. Each carried m-line (the video, and the audio when the
// mountpoint has Opus and the browser takes it) pairs one browser m-line with
// one of Janus's; all of them share one bundled transport. Header extensions,
// RTX, FEC and transport-cc are left out of both answers so neither side
// relies on what the other can't provide. Pure code.
import { h264ProfileOf } from '../h264/avcc';
import { attr, attrs, connection, direction, isRejected, mediaOrSessionAttr, parseFmtp, parseSdp, rtpCodecs, serializeSdp, type RtpCodec, type Sdp, type SdpMedia } from './sdp';

export type VideoCodecName = 'h264' | 'h265';

/** A browser m-line that will receive one of our media, and the payload type to send it with. */
export interface MediaChoice {
	/** Index of the browser's m-line. */
	mlineIndex: number;
	/** Its mid (the browser's, e.g. "0"). */
	mid: string;
	/** The browser's payload type for the codec: the Janus mountpoint must send with it. */
	pt: number;
	/** The browser's fmtp for that payload type (echoed in its answer). */
	fmtp: string;
}

export interface VideoChoice extends MediaChoice {
	/** How the profile matched: 'exact' profile, 'codec' (same codec, other profile). */
	match: 'exact' | 'codec';
}

export type AudioChoice = MediaChoice;

/** RTCP feedback both legs may use (transport-cc needs an extension we don't negotiate). */
const FEEDBACK = new Set(['nack', 'nack pli', 'ccm fir', 'goog-remb']);

/**
 * Choose the browser's m-line and payload type for our video. H.264 needs
 * packetization-mode=1 and prefers the profile of `profileLevelId` (the
 * stream's), then any other H.264 (decoders take any profile in practice,
 * levels are asymmetric); H.265 prefers the same profile-id. Returns null
 * when the browser offers no usable video m-line or codec.
 */
export function chooseBrowserVideo(browserOffer: string | Sdp, codec: VideoCodecName, profile?: string): VideoChoice | null {
	const c = chooseBrowserMedia(browserOffer, 'video', (codecs) => (codec === 'h264' ? pickH264(codecs, profile) : pickH265(codecs, profile)));
	return c && { mlineIndex: c.mlineIndex, mid: c.mid, pt: c.pick.codec.pt, fmtp: c.pick.codec.fmtp, match: c.pick.match };
}

/** Choose the browser's m-line and payload type for Opus audio (RFC 7587 writes it opus/48000/2 whatever the channels); null when it offers none to receive. */
export function chooseBrowserAudio(browserOffer: string | Sdp): AudioChoice | null {
	const c = chooseBrowserMedia(browserOffer, 'audio', (codecs) => {
		const opus = codecs.find((x) => x.name.toLowerCase() === 'opus' && x.clockRate === 48000);
		return opus ? { codec: opus } : null;
	});
	return c && { mlineIndex: c.mlineIndex, mid: c.mid, pt: c.pick.codec.pt, fmtp: c.pick.codec.fmtp };
}

/** The first receiving RTP m-line of a kind on which `pick` finds a codec. */
function chooseBrowserMedia<P extends { codec: RtpCodec }>(browserOffer: string | Sdp, kind: string, pick: (codecs: RtpCodec[]) => P | null) {
	const sdp = typeof browserOffer === 'string' ? parseSdp(browserOffer) : browserOffer;
	for (let i = 0; i < sdp.media.length; i++) {
		const m = sdp.media[i];
		if (m.kind !== kind || isRejected(m) || !m.proto.includes('RTP')) continue;
		const dir = direction(sdp, m);
		if (dir !== 'recvonly' && dir !== 'sendrecv') continue;
		const mid = attr(m.lines, 'mid');
		if (mid === undefined) continue;
		const picked = pick(rtpCodecs(m));
		if (picked) return { mlineIndex: i, mid, pick: picked };
	}
	return null;
}

function pickH264(codecs: RtpCodec[], profileLevelId?: string) {
	const h264 = codecs.filter((c) => c.name.toUpperCase() === 'H264' && c.clockRate === 90000 && parseFmtp(c.fmtp).get('packetization-mode') === '1');
	if (!h264.length) return null;
	const want = profileLevelId ? h264ProfileOf(profileLevelId) : undefined;
	const exact = want && want !== 'unknown' ? h264.find((c) => h264ProfileOf(parseFmtp(c.fmtp).get('profile-level-id') ?? '42001f') === want) : undefined;
	if (exact) return { codec: exact, match: 'exact' as const };
	// Fallback: the most capable profile offered (decoders handle lower ones too).
	const rank = ['high444', 'high', 'constrained-high', 'main', 'baseline', 'constrained-baseline'];
	const score = (c: RtpCodec) => {
		const r = rank.indexOf(h264ProfileOf(parseFmtp(c.fmtp).get('profile-level-id') ?? '42001f'));
		return r < 0 ? 99 : r;
	};
	return { codec: [...h264].sort((a, b) => score(a) - score(b))[0], match: 'codec' as const };
}

function pickH265(codecs: RtpCodec[], profileId?: string) {
	const h265 = codecs.filter((c) => ['H265', 'HEVC'].includes(c.name.toUpperCase()) && c.clockRate === 90000);
	if (!h265.length) return null;
	const exact = profileId ? h265.find((c) => (parseFmtp(c.fmtp).get('profile-id') ?? '1') === profileId) : undefined;
	return exact ? { codec: exact, match: 'exact' as const } : { codec: h265[0], match: 'codec' as const };
}

export interface IceDtls {
	ufrag: string;
	pwd: string;
	/** "sha-256 AB:CD:…" */
	fingerprint: string;
	/** Candidates as "candidate:…" (the a= line without "a="). */
	candidates: string[];
	endOfCandidates: boolean;
	iceOptions?: string;
}

/** ICE and DTLS parameters of one (bundled) media section. */
export function iceDtlsOf(sdp: Sdp, m: SdpMedia): IceDtls {
	const ufrag = mediaOrSessionAttr(sdp, m, 'ice-ufrag');
	const pwd = mediaOrSessionAttr(sdp, m, 'ice-pwd');
	const fingerprint = mediaOrSessionAttr(sdp, m, 'fingerprint');
	if (!ufrag || !pwd) throw new Error(`SDP m-line ${attr(m.lines, 'mid') ?? m.kind} has no ICE credentials`);
	if (!fingerprint) throw new Error(`SDP m-line ${attr(m.lines, 'mid') ?? m.kind} has no DTLS fingerprint`);
	return {
		ufrag,
		pwd,
		fingerprint,
		candidates: attrs(m.lines, 'candidate').map((c) => `candidate:${c}`),
		endOfCandidates: attrs(m.lines, 'end-of-candidates').length > 0 || attrs(sdp.session, 'end-of-candidates').length > 0,
		iceOptions: mediaOrSessionAttr(sdp, m, 'ice-options')
	};
}

function sessionHeader(bundle: string[]): string[] {
	const id = BigInt.asUintN(62, BigInt(Date.now()) * 1000003n + BigInt(Math.floor(Math.random() * 1e6))).toString();
	return ['v=0', `o=- ${id} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0', ...(bundle.length ? [`a=group:BUNDLE ${bundle.join(' ')}`] : []), 'a=msid-semantic: WMS *'];
}

function rejected(m: SdpMedia, mid: string | undefined): SdpMedia {
	const format = m.formats[0] ?? (m.proto.includes('SCTP') ? 'webrtc-datachannel' : '0');
	const lines = ['c=IN IP4 0.0.0.0'];
	if (mid !== undefined) lines.push(`a=mid:${mid}`);
	if (m.proto.includes('RTP')) {
		// A rejected RTP m-line still names one of the offered formats (RFC 3264 §6).
		const map = attrs(m.lines, 'rtpmap').find((v) => v.startsWith(format + ' '));
		if (map) lines.push(`a=rtpmap:${map}`);
		lines.push('a=inactive');
	}
	return { kind: m.kind, port: 0, proto: m.proto, formats: [format], lines };
}

/** An m-line kept in the BUNDLE group (it is the offer's tag) but carrying no media. */
function bundledInactive(m: SdpMedia, transportLines: string[]): SdpMedia {
	if (!m.proto.includes('RTP')) {
		// A data channel m-line as the tag: accepted; Janus (no data negotiated) never answers its SCTP.
		const port = attr(m.lines, 'sctp-port') ?? '5000';
		return { kind: m.kind, port: 9, proto: m.proto, formats: m.formats.slice(0, 1), lines: [...transportLines, `a=sctp-port:${port}`] };
	}
	const codec = rtpCodecs(m)[0];
	const lines = [...transportLines, 'a=inactive', 'a=rtcp-mux'];
	if (codec) {
		lines.push(`a=rtpmap:${rtpmap(codec)}`);
		if (codec.fmtp) lines.push(`a=fmtp:${codec.pt} ${codec.fmtp}`);
	}
	return { kind: m.kind, port: 9, proto: m.proto, formats: [String(codec?.pt ?? m.formats[0])], lines };
}

/** An a=rtpmap value: "111 opus/48000/2". */
function rtpmap(c: RtpCodec): string {
	return `${c.pt} ${c.name}/${c.clockRate}${c.channels ? '/' + c.channels : ''}`;
}

/** The primary SSRC Janus sends with (the first of an FID group, or the first a=ssrc), and its lines. */
function primarySsrc(m: SdpMedia): { ssrc: string; lines: string[] } | null {
	const fid = attrs(m.lines, 'ssrc-group').find((g) => g.startsWith('FID '));
	const all = attrs(m.lines, 'ssrc');
	const ssrc = fid ? fid.split(/\s+/)[1] : all[0]?.split(' ')[0];
	if (!ssrc) return null;
	return { ssrc, lines: all.filter((v) => v.split(' ')[0] === ssrc).map((v) => `a=ssrc:${v}`) };
}

export interface BridgeOptions {
	/** Which of the browser's m-lines / payload types carries the video (from chooseBrowserVideo). */
	video: VideoChoice;
	/** Which carries the audio (from chooseBrowserAudio); Janus's offer must then have an audio m-line with that PT. */
	audio?: AudioChoice;
}

export interface BridgeResult {
	/** Mids and m-line indexes of the browser whose trickled candidates go to Janus (see browserCandidateForJanus). */
	transport: { mids: string[]; mlineIndexes: number[] };
	/** The answer to send Janus with `start`. */
	janusAnswer: string;
	/** The answer to return to the browser. */
	browserAnswer: string;
	/** Janus's mid for the video (e.g. "v"), for trickling the browser's candidates. */
	janusMid: string;
	janusMlineIndex: number;
	/** The browser's answer sends it audio. */
	audio: boolean;
}

/** One carried medium: a browser m-line, the Janus m-line that feeds it, and the codec both use. */
interface Leg {
	mid: string;
	mlineIndex: number;
	bm: SdpMedia;
	jIndex: number;
	jm: SdpMedia;
	janusMid: string;
	jCodec: RtpCodec;
	bCodec: RtpCodec;
	feedback: string[];
	rtcpRsize: boolean;
}

function legOf(browser: Sdp, janus: Sdp, kind: 'video' | 'audio', choice: MediaChoice): Leg {
	const bm = browser.media[choice.mlineIndex];
	if (!bm || attr(bm.lines, 'mid') !== choice.mid) throw new Error(`browser offer has no m-line ${choice.mlineIndex} with mid ${choice.mid}`);
	const jIndex = janus.media.findIndex((m) => m.kind === kind && !isRejected(m));
	if (jIndex < 0) throw new Error(`Janus offer has no ${kind} m-line`);
	const jm = janus.media[jIndex];
	const jCodec = rtpCodecs(jm).find((c) => c.pt === choice.pt);
	if (!jCodec) throw new Error(`Janus offer has no ${kind} payload type ${choice.pt} (mountpoint configured for another PT)`);
	const bCodec = rtpCodecs(bm).find((c) => c.pt === choice.pt);
	if (!bCodec) throw new Error(`browser offer has no payload type ${choice.pt}`);
	return {
		mid: choice.mid,
		mlineIndex: choice.mlineIndex,
		bm,
		jIndex,
		jm,
		janusMid: attr(jm.lines, 'mid') ?? String(jIndex),
		jCodec,
		bCodec,
		feedback: jCodec.rtcpFb.filter((f) => FEEDBACK.has(f) && bCodec.rtcpFb.includes(f)),
		rtcpRsize: attrs(bm.lines, 'rtcp-rsize').length > 0
	};
}

/**
 * Build both answers. Throws when Janus's offer lacks a chosen medium or its
 * payload type (the mountpoint must be configured with the browser's PTs).
 */
export function bridgeSdp(browserOfferSdp: string, janusOfferSdp: string, opts: BridgeOptions): BridgeResult {
	const browser = parseSdp(browserOfferSdp);
	const janus = parseSdp(janusOfferSdp);
	const group = bundleGroupOf(browser, opts.video.mid);
	// Janus has one transport: audio outside the video's BUNDLE group can't share it.
	const audio = opts.audio && (!group.length || group.includes(opts.audio.mid)) ? opts.audio : undefined;
	const legs = [legOf(browser, janus, 'video', opts.video), ...(audio ? [legOf(browser, janus, 'audio', audio)] : [])];
	const [video] = legs;
	const mids = transportMids(browser, legs.map((l) => l.mid));
	// A max-bundle browser lists its gathered candidates under the BUNDLE tag m-line only.
	const fromBrowser = iceDtlsOf(browser, video.bm);
	for (const mid of mids.slice(1)) {
		const m = browser.media.find((x) => attr(x.lines, 'mid') === mid);
		fromBrowser.candidates.push(...attrs(m?.lines ?? [], 'candidate').map((c) => `candidate:${c}`));
	}
	fromBrowser.candidates = [...new Set(fromBrowser.candidates)];
	const fromJanus = iceDtlsOf(janus, video.jm);

	// (a) Janus's answer: the browser's ICE/DTLS (candidates on its first m-line, the bundle's), Janus's mids and PTs, recvonly.
	const janusLegs = [...legs].sort((a, b) => a.jIndex - b.jIndex);
	const janusMedia: SdpMedia[] = janus.media.map((m, i) => {
		const leg = legs.find((l) => l.jIndex === i);
		if (!leg) return rejected(m, attr(m.lines, 'mid'));
		const { jCodec } = leg;
		const lines = [
			'c=IN IP4 0.0.0.0',
			`a=ice-ufrag:${fromBrowser.ufrag}`,
			`a=ice-pwd:${fromBrowser.pwd}`,
			'a=ice-options:trickle',
			`a=fingerprint:${fromBrowser.fingerprint}`,
			'a=setup:active',
			`a=mid:${leg.janusMid}`,
			'a=recvonly',
			'a=rtcp-mux',
			...(leg.rtcpRsize && attrs(leg.jm.lines, 'rtcp-rsize').length ? ['a=rtcp-rsize'] : []),
			`a=rtpmap:${rtpmap(jCodec)}`,
			...leg.feedback.map((f) => `a=rtcp-fb:${jCodec.pt} ${f}`),
			...(jCodec.fmtp ? [`a=fmtp:${jCodec.pt} ${jCodec.fmtp}`] : []),
			...(leg === janusLegs[0] ? [...fromBrowser.candidates.map((c) => `a=${c}`), ...(fromBrowser.endOfCandidates ? ['a=end-of-candidates'] : [])] : [])
		];
		return { kind: m.kind, port: 9, proto: m.proto, formats: [String(jCodec.pt)], lines };
	});
	const janusAnswer = serializeSdp({ session: sessionHeader(janusLegs.map((l) => l.janusMid)), media: janusMedia });

	// (b) The browser's answer: Janus's ICE/DTLS/candidates/SSRCs, the browser's m-lines and mids, sendonly.
	const jConn = connection(janus, video.jm) ?? 'IN IP4 0.0.0.0';
	// The offer's BUNDLE tag stays in the bundle even when it carries none of
	// our media (an audio m-line added first, and no audio to send): Chrome with
	// max-bundle has no transport of its own for the others, and rejecting the
	// tag fails ("Failed to setup RTCP mux"). It is answered bundled and
	// inactive instead, carrying the shared transport. Candidates go on the tag.
	const carried = new Set(legs.map((l) => l.mid));
	const bundle = group.length ? group.filter((mid, i) => i === 0 || carried.has(mid)) : [...legs].sort((a, b) => a.mlineIndex - b.mlineIndex).map((l) => l.mid);
	const transport = (mid: string) => [
		`c=${jConn}`,
		`a=ice-ufrag:${fromJanus.ufrag}`,
		`a=ice-pwd:${fromJanus.pwd}`,
		'a=ice-options:trickle',
		`a=fingerprint:${fromJanus.fingerprint}`,
		'a=setup:passive',
		`a=mid:${mid}`,
		...(mid === bundle[0] ? [...fromJanus.candidates.map((c) => `a=${c}`), ...(fromJanus.endOfCandidates ? ['a=end-of-candidates'] : [])] : [])
	];
	const browserMedia: SdpMedia[] = browser.media.map((m, i) => {
		const mid = attr(m.lines, 'mid');
		const leg = legs.find((l) => l.mlineIndex === i);
		if (!leg) return mid !== undefined && mid === bundle[0] ? bundledInactive(m, transport(mid)) : rejected(m, mid);
		const { bCodec } = leg;
		const ssrc = primarySsrc(leg.jm);
		const msid = attr(leg.jm.lines, 'msid');
		const lines = [
			...transport(leg.mid),
			'a=sendonly',
			...(msid ? [`a=msid:${msid}`] : []),
			'a=rtcp-mux',
			...(leg.rtcpRsize ? ['a=rtcp-rsize'] : []),
			`a=rtpmap:${rtpmap(bCodec)}`,
			...leg.feedback.map((f) => `a=rtcp-fb:${bCodec.pt} ${f}`),
			...(bCodec.fmtp ? [`a=fmtp:${bCodec.pt} ${bCodec.fmtp}`] : []),
			...(ssrc ? ssrc.lines : [])
		];
		return { kind: m.kind, port: leg.jm.port > 0 ? leg.jm.port : 9, proto: m.proto, formats: [String(bCodec.pt)], lines };
	});
	const browserAnswer = serializeSdp({ session: sessionHeader(bundle), media: browserMedia });
	const mlineIndexes = mids.map((mid) => browser.media.findIndex((m) => attr(m.lines, 'mid') === mid)).filter((i) => i >= 0);
	return { janusAnswer, browserAnswer, janusMid: video.janusMid, janusMlineIndex: video.jIndex, transport: { mids, mlineIndexes }, audio: !!audio };
}

/** The offer's BUNDLE group holding a mid ([] when none does). */
function bundleGroupOf(sdp: Sdp, mid: string): string[] {
	for (const g of attrs(sdp.session, 'group')) {
		const [semantics, ...group] = g.split(/\s+/);
		if (semantics === 'BUNDLE' && group.includes(mid)) return group;
	}
	return [];
}

/**
 * The mids whose ICE candidates belong to the transport that carries our
 * media: the carried m-lines' own, and (when they are in the offer's BUNDLE
 * group) the group's first mid, whose transport a max-bundle browser gathers
 * on and names in its trickled candidates.
 */
export function transportMids(browserOffer: string | Sdp, carried: string[]): string[] {
	const sdp = typeof browserOffer === 'string' ? parseSdp(browserOffer) : browserOffer;
	const mids = [...carried];
	for (const mid of carried) {
		const tag = bundleGroupOf(sdp, mid)[0];
		if (tag !== undefined && !mids.includes(tag)) mids.push(tag);
	}
	return mids;
}

/**
 * Normalize a trickled browser candidate for Janus: accept "a=candidate:…" or
 * "candidate:…"; null for end-of-candidates ("" / null); undefined for a
 * candidate of an m-line whose transport doesn't carry our media (to drop).
 * Candidates without sdpMid and sdpMLineIndex (go2rtc's player sends the bare
 * string) are kept.
 */
export function browserCandidateForJanus(
	candidate: string | null,
	sdpMid: string | null | undefined,
	sdpMLineIndex: number | null | undefined,
	transport: { mids: string[]; mlineIndexes: number[] }
): string | null | undefined {
	const c = (candidate ?? '').trim().replace(/^a=/, '');
	if (!c) return null;
	if (sdpMid != null && sdpMid !== '') {
		if (!transport.mids.includes(sdpMid)) return undefined;
	} else if (sdpMLineIndex != null && !transport.mlineIndexes.includes(sdpMLineIndex)) return undefined;
	return c.startsWith('candidate:') ? c : `candidate:${c}`;
}

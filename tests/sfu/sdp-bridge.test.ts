// The SDP model and the browser-offer ⇄ Janus-offer bridge, on SDPs captured
// from Chromium 156 (go2rtc-style recvonly video + audio) and Janus 1.1.2's
// Streaming plugin (`watch` on an RTP mountpoint, H.264 pt 108, and one with
// Opus pt 111 beside it).
import { describe, expect, it } from 'vitest';
import { bridgeSdp, browserCandidateForJanus, chooseBrowserAudio, chooseBrowserVideo, transportMids } from '../../src/lib/server/media/sdp/bridge';
import { attr, attrs, direction, parseSdp, rtpCodecs, serializeSdp } from '../../src/lib/server/media/sdp/sdp';
import { fixtureText } from './fixtures';

const chromium = fixtureText('chromium-156-offer-video-audio.sdp');
const chromiumGathered = fixtureText('chromium-156-offer-gathered.sdp');
const chromiumAudioFirst = fixtureText('chromium-156-offer-audio-first.sdp');
const janus = fixtureText('janus-1.1.2-watch-offer.sdp');
const janusAudio = fixtureText('janus-1.1.2-watch-offer-audio.sdp');

describe('SDP model', () => {
	it('round-trips captured SDPs line for line', () => {
		for (const text of [chromium, chromiumGathered, chromiumAudioFirst, janus, janusAudio]) {
			expect(serializeSdp(parseSdp(text))).toBe(text.trim().split(/\r?\n/).join('\r\n') + '\r\n');
		}
	});

	it('reads codecs with fmtp and feedback, directions and mids', () => {
		const sdp = parseSdp(chromium);
		expect(sdp.media.map((m) => [m.kind, attr(m.lines, 'mid'), direction(sdp, m)])).toEqual([
			['video', '0', 'recvonly'],
			['audio', '1', 'recvonly']
		]);
		const h264 = rtpCodecs(sdp.media[0]).find((c) => c.pt === 108)!;
		expect(h264).toMatchObject({ name: 'H264', clockRate: 90000, fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' });
		expect(h264.rtcpFb).toEqual(['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli']);
		expect(rtpCodecs(sdp.media[1])[0]).toMatchObject({ pt: 111, name: 'opus', clockRate: 48000, channels: 2 });
	});

	it('rejects what is not SDP', () => {
		expect(() => parseSdp('hello')).toThrow();
		expect(() => parseSdp('o=- 1 1 IN IP4 0.0.0.0\r\n')).toThrow(/v=/);
	});
});

describe('choosing the browser payload type', () => {
	it('matches the stream profile (constrained baseline 42c01f → pt 108, 42e01f)', () => {
		expect(chooseBrowserVideo(chromium, 'h264', '42c01f')).toEqual({ mlineIndex: 0, mid: '0', pt: 108, fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', match: 'exact' });
		expect(chooseBrowserVideo(chromium, 'h264', '42001f')?.pt).toBe(102);
		expect(chooseBrowserVideo(chromium, 'h264', '4d0029')?.pt).toBe(116);
	});

	it('falls back to the most capable H.264 with packetization-mode 1 (High is not offered by this Chromium)', () => {
		expect(chooseBrowserVideo(chromium, 'h264', '640028')).toMatchObject({ pt: 41, match: 'codec' });
	});

	it('finds the video after an audio m-line', () => {
		expect(chooseBrowserVideo(chromiumAudioFirst, 'h264', '42c01f')).toMatchObject({ mlineIndex: 1, mid: '1', pt: 108 });
	});

	it('returns null when the browser cannot take the codec', () => {
		expect(chooseBrowserVideo(chromium, 'h265', '1')).toBeNull(); // no H.265 in this Chromium's WebRTC
		const noMode1 = chromium.replace(/packetization-mode=1/g, 'packetization-mode=0');
		expect(chooseBrowserVideo(noMode1, 'h264', '42e01f')).toBeNull();
		const sendonly = chromium.replace('a=recvonly', 'a=sendonly');
		expect(chooseBrowserVideo(sendonly, 'h264', '42e01f')).toBeNull();
		const rejected = chromium.replace('m=video 9 ', 'm=video 0 ');
		expect(chooseBrowserVideo(rejected, 'h264', '42e01f')).toBeNull();
	});
});

describe('bridging the two offers into two answers', () => {
	const choice = chooseBrowserVideo(chromium, 'h264', '42c01f')!;
	const bridged = bridgeSdp(chromium, janus, { video: choice });
	const b = parseSdp(chromium).media[0];
	const j = parseSdp(janus).media[0];

	it("answers Janus with the browser's ICE/DTLS, Janus's mid and PT, recvonly, DTLS active", () => {
		const ans = parseSdp(bridged.janusAnswer);
		expect(ans.media).toHaveLength(1);
		const m = ans.media[0];
		expect([m.kind, m.port, m.proto, m.formats]).toEqual(['video', 9, 'UDP/TLS/RTP/SAVPF', ['108']]);
		expect(attr(m.lines, 'mid')).toBe('v');
		expect(attrs(ans.session, 'group')).toEqual(['BUNDLE v']);
		expect(attr(m.lines, 'ice-ufrag')).toBe(attr(b.lines, 'ice-ufrag'));
		expect(attr(m.lines, 'ice-pwd')).toBe(attr(b.lines, 'ice-pwd'));
		expect(attr(m.lines, 'fingerprint')).toBe(attr(b.lines, 'fingerprint'));
		expect(attr(m.lines, 'setup')).toBe('active');
		expect(direction(ans, m)).toBe('recvonly');
		expect(attrs(m.lines, 'rtcp-mux')).toHaveLength(1);
		expect(attrs(m.lines, 'extmap')).toEqual([]);
		expect(attrs(m.lines, 'ssrc')).toEqual([]);
		expect(rtpCodecs(m)).toEqual([{ pt: 108, name: 'H264', clockRate: 90000, channels: undefined, fmtp: attrs(j.lines, 'fmtp')[0].replace(/^108 /, ''), rtcpFb: ['ccm fir', 'nack', 'nack pli', 'goog-remb'] }]);
	});

	it("answers the browser with Janus's ICE/DTLS/candidates/SSRC, the browser's mids and PT, sendonly, DTLS passive", () => {
		const ans = parseSdp(bridged.browserAnswer);
		expect(ans.media.map((m) => [m.kind, attr(m.lines, 'mid'), m.port])).toEqual([
			['video', '0', 9],
			['audio', '1', 0]
		]);
		expect(attrs(ans.session, 'group')).toEqual(['BUNDLE 0']);
		const m = ans.media[0];
		expect(m.formats).toEqual(['108']);
		expect(attr(m.lines, 'ice-ufrag')).toBe(attr(j.lines, 'ice-ufrag'));
		expect(attr(m.lines, 'ice-pwd')).toBe(attr(j.lines, 'ice-pwd'));
		expect(attr(m.lines, 'fingerprint')).toBe(attr(parseSdp(janus).session, 'fingerprint'));
		expect(attr(m.lines, 'setup')).toBe('passive');
		expect(direction(ans, m)).toBe('sendonly');
		expect(attrs(m.lines, 'candidate')).toEqual(attrs(j.lines, 'candidate'));
		expect(attrs(m.lines, 'candidate').length).toBeGreaterThan(0);
		expect(attrs(m.lines, 'end-of-candidates')).toHaveLength(1);
		expect(attrs(m.lines, 'extmap')).toEqual([]);
		expect(rtpCodecs(m)).toEqual([{ pt: 108, name: 'H264', clockRate: 90000, channels: undefined, fmtp: choice.fmtp, rtcpFb: ['ccm fir', 'nack', 'nack pli', 'goog-remb'] }]);
		// Only Janus's primary SSRC (no RTX is negotiated on either leg).
		const fid = attrs(j.lines, 'ssrc-group')[0].split(' ');
		expect(attrs(m.lines, 'ssrc')).toEqual([`${fid[1]} cname:janus`]);
		expect(attrs(m.lines, 'ssrc-group')).toEqual([]);
		expect(attr(m.lines, 'msid')).toBe('janus janusv');
		const audio = ans.media[1];
		expect(audio.formats).toEqual(['111']);
		expect(attrs(audio.lines, 'inactive')).toHaveLength(1);
		expect(attrs(audio.lines, 'ice-ufrag')).toEqual([]);
	});

	it("passes the browser's already-gathered candidates to Janus", () => {
		const c = chooseBrowserVideo(chromiumGathered, 'h264', '42c01f')!;
		const ans = parseSdp(bridgeSdp(chromiumGathered, janus, { video: c }).janusAnswer);
		expect(attrs(ans.media[0].lines, 'candidate')).toEqual(attrs(parseSdp(chromiumGathered).media[0].lines, 'candidate'));
	});

	it('keeps an audio BUNDLE tag bundled and inactive instead of rejecting it (Chrome max-bundle needs its transport)', () => {
		const c = chooseBrowserVideo(chromiumAudioFirst, 'h264', '42c01f')!;
		const r = bridgeSdp(chromiumAudioFirst, janus, { video: c });
		const ans = parseSdp(r.browserAnswer);
		expect(attrs(ans.session, 'group')).toEqual(['BUNDLE 0 1']);
		const [audio, video] = ans.media;
		expect([audio.kind, audio.port, attr(audio.lines, 'mid'), direction(ans, audio)]).toEqual(['audio', 9, '0', 'inactive']);
		expect(attr(audio.lines, 'ice-ufrag')).toBe(attr(j.lines, 'ice-ufrag'));
		expect(attrs(audio.lines, 'candidate').length).toBeGreaterThan(0);
		expect([video.kind, attr(video.lines, 'mid'), direction(ans, video), video.formats]).toEqual(['video', '1', 'sendonly', ['108']]);
		expect(r.transport).toEqual({ mids: ['1', '0'], mlineIndexes: [1, 0] });
		expect(transportMids(chromium, ['0'])).toEqual(['0']);
	});

	it("refuses a Janus offer without the browser's payload type", () => {
		expect(() => bridgeSdp(chromium, janus.replace(/\b108\b/g, '96'), { video: choice })).toThrow(/payload type 108/);
	});
});

describe('choosing the browser audio', () => {
	it("takes the browser's Opus m-line and payload type, wherever the m-line is", () => {
		expect(chooseBrowserAudio(chromium)).toEqual({ mlineIndex: 1, mid: '1', pt: 111, fmtp: 'minptime=10;useinbandfec=1' });
		expect(chooseBrowserAudio(chromiumAudioFirst)).toEqual({ mlineIndex: 0, mid: '0', pt: 111, fmtp: 'minptime=10;useinbandfec=1' });
		const firefoxPt = chromium.replace(/\b111\b/g, '109');
		expect(chooseBrowserAudio(firefoxPt)?.pt).toBe(109);
	});

	it('returns null without Opus to receive', () => {
		expect(chooseBrowserAudio(chromium.replace('opus/48000/2', 'PCMA/8000'))).toBeNull();
		const sendonly = chromium.split('m=audio');
		expect(chooseBrowserAudio(sendonly[0] + 'm=audio' + sendonly[1].replace('a=recvonly', 'a=sendonly'))).toBeNull();
		expect(chooseBrowserAudio(chromium.replace('m=audio 9 ', 'm=audio 0 '))).toBeNull();
		expect(chooseBrowserAudio(chromium.split('m=audio')[0])).toBeNull(); // video only
	});
});

describe('bridging with audio (the mountpoint has Opus, the browser takes it)', () => {
	const jv = parseSdp(janusAudio).media[0];
	const ja = parseSdp(janusAudio).media[1];
	const bridge = (offer: string) => {
		const video = chooseBrowserVideo(offer, 'h264', '42c01f')!;
		const audio = chooseBrowserAudio(offer)!;
		return { r: bridgeSdp(offer, janusAudio, { video, audio }), video, audio };
	};

	it("answers Janus's two m-lines recvonly, bundled, with the browser's ICE/DTLS and candidates once", () => {
		const { r } = bridge(chromiumGathered);
		expect(r.audio).toBe(true);
		const ans = parseSdp(r.janusAnswer);
		expect(attrs(ans.session, 'group')).toEqual(['BUNDLE v a']);
		expect(ans.media.map((m) => [m.kind, attr(m.lines, 'mid'), direction(ans, m), m.formats, attr(m.lines, 'setup')])).toEqual([
			['video', 'v', 'recvonly', ['108'], 'active'],
			['audio', 'a', 'recvonly', ['111'], 'active']
		]);
		const b = parseSdp(chromiumGathered).media[0];
		for (const m of ans.media) expect([attr(m.lines, 'ice-ufrag'), attr(m.lines, 'fingerprint')]).toEqual([attr(b.lines, 'ice-ufrag'), attr(b.lines, 'fingerprint')]);
		expect(attrs(ans.media[0].lines, 'candidate')).toEqual(attrs(b.lines, 'candidate'));
		expect(attrs(ans.media[1].lines, 'candidate')).toEqual([]);
		expect(rtpCodecs(ans.media[1])).toEqual([{ pt: 111, name: 'opus', clockRate: 48000, channels: 2, fmtp: '', rtcpFb: [] }]);
	});

	it("answers the browser's audio sendonly with its PT and fmtp and Janus's audio SSRC, in one bundle with the video", () => {
		const { r } = bridge(chromium);
		const ans = parseSdp(r.browserAnswer);
		expect(attrs(ans.session, 'group')).toEqual(['BUNDLE 0 1']);
		const [video, audio] = ans.media;
		expect([video.kind, attr(video.lines, 'mid'), direction(ans, video), video.formats]).toEqual(['video', '0', 'sendonly', ['108']]);
		expect([audio.kind, audio.port, attr(audio.lines, 'mid'), direction(ans, audio), audio.formats]).toEqual(['audio', 9, '1', 'sendonly', ['111']]);
		expect(rtpCodecs(audio)).toEqual([{ pt: 111, name: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1', rtcpFb: [] }]);
		expect(attrs(audio.lines, 'ssrc')).toEqual(attrs(ja.lines, 'ssrc'));
		expect(attr(audio.lines, 'msid')).toBe('janus janusa');
		expect(attr(video.lines, 'msid')).toBe('janus janusv');
		expect(attrs(video.lines, 'ssrc')).toEqual([`${attrs(jv.lines, 'ssrc-group')[0].split(' ')[1]} cname:janus`]);
		// One transport: Janus's credentials on both, its candidates on the BUNDLE tag only.
		for (const m of ans.media) expect([attr(m.lines, 'ice-ufrag'), attr(m.lines, 'setup')]).toEqual([attr(jv.lines, 'ice-ufrag'), 'passive']);
		expect(attrs(video.lines, 'candidate')).toEqual(attrs(jv.lines, 'candidate'));
		expect(attrs(audio.lines, 'candidate')).toEqual([]);
		expect(r.transport).toEqual({ mids: ['0', '1'], mlineIndexes: [0, 1] });
	});

	it('audio first (the BUNDLE tag): the tag carries the audio and the candidates, the video follows in its bundle', () => {
		const { r } = bridge(chromiumAudioFirst);
		const ans = parseSdp(r.browserAnswer);
		expect(attrs(ans.session, 'group')).toEqual(['BUNDLE 0 1']);
		const [audio, video] = ans.media;
		expect([audio.kind, attr(audio.lines, 'mid'), direction(ans, audio), audio.formats]).toEqual(['audio', '0', 'sendonly', ['111']]);
		expect([video.kind, attr(video.lines, 'mid'), direction(ans, video), video.formats]).toEqual(['video', '1', 'sendonly', ['108']]);
		expect(attrs(audio.lines, 'candidate').length).toBeGreaterThan(0);
		expect(attrs(video.lines, 'candidate')).toEqual([]);
		expect(r.transport).toEqual({ mids: ['1', '0'], mlineIndexes: [1, 0] });
		// Janus's side keeps its own order (video first), whatever the browser's.
		expect(attrs(parseSdp(r.janusAnswer).session, 'group')).toEqual(['BUNDLE v a']);
	});

	it("without audio chosen, Janus's audio m-line is rejected and the browser's answered as today", () => {
		const video = chooseBrowserVideo(chromiumAudioFirst, 'h264', '42c01f')!;
		const r = bridgeSdp(chromiumAudioFirst, janusAudio, { video });
		expect(r.audio).toBe(false);
		const j = parseSdp(r.janusAnswer);
		expect(j.media.map((m) => [m.kind, m.port])).toEqual([
			['video', 9],
			['audio', 0]
		]);
		expect(attrs(j.session, 'group')).toEqual(['BUNDLE v']);
		const b = parseSdp(r.browserAnswer);
		expect(b.media.map((m) => [m.kind, direction(b, m)])).toEqual([
			['audio', 'inactive'],
			['video', 'sendonly']
		]);
	});

	it('refuses a Janus offer without the audio or its payload type', () => {
		const video = chooseBrowserVideo(chromium, 'h264', '42c01f')!;
		const audio = chooseBrowserAudio(chromium)!;
		expect(() => bridgeSdp(chromium, janus, { video, audio })).toThrow(/no audio m-line/);
		expect(() => bridgeSdp(chromium, janusAudio, { video, audio: { ...audio, pt: 109 } })).toThrow(/payload type 109/);
	});
});

describe('browser candidates for Janus', () => {
	const video = { mids: ['0'], mlineIndexes: [0] };
	const cand = 'candidate:376090124 1 udp 2113937151 b8bdd64e.local 56311 typ host generation 0 ufrag 6kjY network-cost 999';

	it('keeps candidates of the video transport, drops the others', () => {
		expect(browserCandidateForJanus(cand, '0', 0, video)).toBe(cand);
		expect(browserCandidateForJanus('a=' + cand, '0', 0, video)).toBe(cand);
		expect(browserCandidateForJanus(cand.slice('candidate:'.length), '0', 0, video)).toBe(cand);
		expect(browserCandidateForJanus(cand, '1', 1, video)).toBeUndefined();
		expect(browserCandidateForJanus(cand, null, 1, video)).toBeUndefined();
	});

	it("keeps bare strings (go2rtc's player) and maps end-of-candidates to null", () => {
		expect(browserCandidateForJanus(cand, null, null, video)).toBe(cand);
		expect(browserCandidateForJanus(cand, undefined, undefined, video)).toBe(cand);
		expect(browserCandidateForJanus('', null, null, video)).toBeNull();
		expect(browserCandidateForJanus(null, '0', 0, video)).toBeNull();
	});
});

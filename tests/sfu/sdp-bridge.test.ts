// The SDP model and the browser-offer ⇄ Janus-offer bridge, on SDPs captured
// from Chromium 156 (go2rtc-style recvonly video + audio) and Janus 1.1.2's
// Streaming plugin (`watch` on an RTP mountpoint, H.264 pt 108).
import { describe, expect, it } from 'vitest';
import { bridgeSdp, browserCandidateForJanus, chooseBrowserVideo, videoTransportMids } from '../../src/lib/server/media/sdp/bridge';
import { attr, attrs, direction, parseSdp, rtpCodecs, serializeSdp } from '../../src/lib/server/media/sdp/sdp';
import { fixtureText } from './fixtures';

const chromium = fixtureText('chromium-156-offer-video-audio.sdp');
const chromiumGathered = fixtureText('chromium-156-offer-gathered.sdp');
const chromiumAudioFirst = fixtureText('chromium-156-offer-audio-first.sdp');
const janus = fixtureText('janus-1.1.2-watch-offer.sdp');

describe('SDP model', () => {
	it('round-trips captured SDPs line for line', () => {
		for (const text of [chromium, chromiumGathered, chromiumAudioFirst, janus]) {
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
		expect(r.videoTransport).toEqual({ mids: ['1', '0'], mlineIndexes: [1, 0] });
		expect(videoTransportMids(chromium, { mid: '0' })).toEqual(['0']);
	});

	it("refuses a Janus offer without the browser's payload type", () => {
		expect(() => bridgeSdp(chromium, janus.replace(/\b108\b/g, '96'), { video: choice })).toThrow(/payload type 108/);
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

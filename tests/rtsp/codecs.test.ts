// What RTSP needs from the codecs: SDP from the hub's tracks and from a
// publisher's ANNOUNCE, AAC over RTP (RFC 3640), the reordering depth and hvcC
// from parameter sets, decode times, RTCP sender reports; then a real ffmpeg
// publishing session replayed through the publisher side.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAvcC } from '../../src/lib/server/media/h264/avcc';
import { parseHvcC } from '../../src/lib/server/media/h264/hvcc';
import { splitLengthPrefixed } from '../../src/lib/server/media/h264/nal';
import { hevcCodecString } from '../../src/lib/server/media/fmp4/init';
import { AacDepacketizer, aacFmtp, packetizeAac, parseAacFmtp } from '../../src/lib/server/media/rtp/aac-packetizer';
import { RtspParser } from '../../src/lib/server/media/rtsp/message';
import { buildSdp, describeTrack, h264ParameterSets, parseAnnouncedSdp } from '../../src/lib/server/media/rtsp/sdp';
import { buildHvcC, h264ReorderDepth, h265ReorderDepth, opusDops, parseH264Sps } from '../../src/lib/server/media/rtsp/parameter-sets';
import { DtsEstimator, TimestampUnwrapper } from '../../src/lib/server/media/rtsp/receiver';
import { parseRtcp, senderReport } from '../../src/lib/server/media/rtsp/rtcp';
import { RecordSession } from '../../src/lib/server/rtsp/record-session';
import { fixture as sfuFixture } from '../sfu/fixtures';
import { fakeApp } from './support';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const PUBLISH = readFileSync(path.join(FIXTURES, 'ffmpeg-5.1-publish-tcp-h264-aac.bin'));
const announcedSdp = () => {
	const [, announce] = new RtspParser().push(PUBLISH.subarray(0, 2000));
	return announce.type === 'request' ? announce.request.body.toString() : '';
};

describe('SDP for RTSP', () => {
	it('describes H.264 with its parameter sets, H.265, AAC with its config, Opus', () => {
		const avcC = sfuFixture('testsrc2-320x180-baseline.avcC');
		const h264 = describeTrack({ id: 1, kind: 'video', codec: 'h264', codecString: 'avc1.42c00d', timescale: 90000, config: avcC }, 96, 'trackID=0')!;
		const cfg = parseAvcC(avcC);
		expect(h264.fmtp).toBe(`packetization-mode=1;profile-level-id=${cfg.profileLevelId};sprop-parameter-sets=${cfg.sps[0].toString('base64')},${cfg.pps[0].toString('base64')}`);
		const hvcC = sfuFixture('testsrc2-320x180.hvcC');
		const h265 = describeTrack({ id: 1, kind: 'video', codec: 'h265', codecString: '', timescale: 90000, config: hvcC }, 96, 'trackID=0')!;
		expect(h265).toMatchObject({ encoding: 'H265', clockRate: 90000 });
		expect(h265.fmtp).toMatch(/^sprop-vps=[A-Za-z0-9+/=]+;sprop-sps=[A-Za-z0-9+/=]+;sprop-pps=[A-Za-z0-9+/=]+$/);
		const asc = Buffer.from([0x11, 0x90]);
		const aac = describeTrack({ id: 2, kind: 'audio', codec: 'aac', codecString: 'mp4a.40.2', timescale: 48000, sampleRate: 48000, channels: 2, config: asc }, 97, 'trackID=1')!;
		expect(aac).toMatchObject({ encoding: 'MPEG4-GENERIC', clockRate: 48000, channels: 2, fmtp: 'profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190' });
		const opus = describeTrack({ id: 2, kind: 'audio', codec: 'opus', codecString: 'opus', timescale: 48000, channels: 1 }, 97, 'trackID=1')!;
		expect(opus).toMatchObject({ encoding: 'opus', clockRate: 48000, channels: 2, fmtp: 'sprop-stereo=0' });
		expect(describeTrack({ id: 2, kind: 'audio', codec: 'pcma', codecString: 'alaw', timescale: 8000 }, 97, 'x')).toBeUndefined();
		const sdp = buildSdp({ sessionId: '1', name: 'cam', address: '127.0.0.1', tracks: [h264, aac] });
		expect(sdp).toMatch(/^v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nc=IN IP4 0\.0\.0\.0\r\nt=0 0\r\n/);
		expect(sdp).toContain('m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\n');
		// It reads back as it was meant.
		const back = parseAnnouncedSdp(sdp).media;
		expect(back.map((m) => [m.kind, m.encoding, m.clockRate, m.control])).toEqual([
			['video', 'H264', 90000, 'trackID=0'],
			['audio', 'MPEG4-GENERIC', 48000, 'trackID=1']
		]);
	});

	it("reads ffmpeg's ANNOUNCE: sprop-parameter-sets, AAC config and controls", () => {
		const { media } = parseAnnouncedSdp(announcedSdp());
		expect(media.map((m) => [m.kind, m.payloadType, m.encoding, m.clockRate, m.channels, m.control])).toEqual([
			['video', 96, 'H264', 90000, undefined, 'streamid=0'],
			['audio', 97, 'MPEG4-GENERIC', 44100, 1, 'streamid=1']
		]);
		const ps = h264ParameterSets(media[0].fmtp);
		expect(ps.sps).toHaveLength(1);
		expect(ps.pps).toHaveLength(1);
		expect(parseH264Sps(ps.sps[0])).toMatchObject({ profileIdc: 100, width: 320, height: 240, maxNumReorderFrames: 2 });
		expect(parseAacFmtp(media[1].fmtp)).toEqual({ format: { sizeLength: 13, indexLength: 3, indexDeltaLength: 3 }, config: Buffer.from('120856e500', 'hex') });
		expect(parseAnnouncedSdp('v=0\r\nm=audio 0 RTP/AVP 8\r\n').media[0]).toMatchObject({ encoding: 'PCMA', clockRate: 8000 });
		expect(() => parseAnnouncedSdp('hello')).toThrow();
	});
});

describe('AAC over RTP (RFC 3640)', () => {
	it('round-trips frames, one per packet or fragmented', () => {
		const dep = new AacDepacketizer();
		let seq = 0;
		for (const size of [1, 200, 1196, 1197, 3000, 8191]) {
			const frame = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + size) & 0xff));
			const packets = packetizeAac(frame, 1200);
			expect(packets.every((p) => p.payload.length <= 1200)).toBe(true);
			expect(packets.map((p) => p.marker)).toEqual(packets.map((_, i) => i === packets.length - 1));
			const out = packets.flatMap((p) => dep.push(p.payload, p.marker, seq++));
			expect(out).toEqual([frame]);
		}
		expect(packetizeAac(Buffer.alloc(8192))).toEqual([]);
	});

	it('reads several AUs in one packet, AAC-lbr, and drops a fragmented AU with a lost packet', () => {
		// Two AUs (3 and 2 bytes): headers-length 32 bits, 13+3 bits each.
		const two = Buffer.from([0x00, 0x20, 0x00, 0x18, 0x00, 0x10, 1, 2, 3, 4, 5]);
		expect(new AacDepacketizer().push(two, true)).toEqual([Buffer.from([1, 2, 3]), Buffer.from([4, 5])]);
		// AAC-lbr: 6-bit size, 2-bit index: one 8-bit header.
		const lbr = parseAacFmtp({ mode: 'AAC-lbr', config: '1210' })!;
		expect(lbr.format).toEqual({ sizeLength: 6, indexLength: 2, indexDeltaLength: 2 });
		expect(new AacDepacketizer(lbr.format).push(Buffer.from([0x00, 0x08, 3 << 2, 9, 8, 7]), true)).toEqual([Buffer.from([9, 8, 7])]);
		const frame = Buffer.alloc(3000, 1);
		const packets = packetizeAac(frame, 1200);
		const dep = new AacDepacketizer();
		expect([...dep.push(packets[0].payload, false, 10), ...dep.push(packets[2].payload, true, 12)]).toEqual([]);
		expect(aacFmtp(Buffer.from([0x12, 0x10]))).toContain('config=1210');
		expect(parseAacFmtp({ config: 'xyz' })).toBeUndefined();
	});
});

describe('parameter sets', () => {
	it('reordering depth: x264 with B-frames 2, baseline 0, H.265 from its SPS', () => {
		const { sps } = h264ParameterSets(parseAnnouncedSdp(announcedSdp()).media[0].fmtp);
		expect(h264ReorderDepth(sps[0])).toBe(2);
		expect(h264ReorderDepth(parseAvcC(sfuFixture('testsrc2-320x180-baseline.avcC')).sps[0])).toBe(0);
		expect(h264ReorderDepth(Buffer.from([0x67, 0x64]))).toBe(2);
		const hvcC = parseHvcC(sfuFixture('testsrc2-320x180.hvcC'));
		expect(h265ReorderDepth(hvcC.sps[0])).toBeGreaterThanOrEqual(0);
	});

	it('hvcC from VPS/SPS/PPS: what ffmpeg wrote for the same stream', () => {
		const ref = sfuFixture('testsrc2-320x180.hvcC');
		const c = parseHvcC(ref);
		const built = buildHvcC(c.vps, c.sps, c.pps);
		expect(hevcCodecString('hvc1', built)).toBe(hevcCodecString('hvc1', ref));
		expect(built.subarray(0, 22)).toEqual(ref.subarray(0, 22));
		const back = parseHvcC(built);
		expect([back.vps, back.sps, back.pps, back.nalLengthSize]).toEqual([c.vps, c.sps, c.pps, 4]);
		expect(() => buildHvcC([], [Buffer.from([0x42, 0x01, 0x01])], [])).toThrow();
	});

	it('dOps for Opus from RTP', () => {
		expect(opusDops(2)).toEqual(Buffer.from([0, 2, 0, 0, 0, 0, 0xbb, 0x80, 0, 0, 0]));
	});
});

describe('timing', () => {
	it('decode times for B-frames: no later than presentation, strictly increasing', () => {
		// I P B B P B B in decode order, presentation 0 3 1 2 6 4 5 (x 10), one B-frame held back.
		const est = new DtsEstimator(1, 10);
		const pts = [0, 30, 10, 20, 60, 40, 50, 90, 70, 80];
		const dts = pts.map((p) => est.push(p));
		expect(dts).toEqual([-10, 0, 10, 20, 30, 40, 50, 60, 70, 80]);
		// Depth 0 when there are none: DTS = PTS.
		const flat = new DtsEstimator(0, 10);
		expect([0, 10, 20].map((p) => flat.push(p))).toEqual([0, 10, 20]);
		// Too small a depth grows, decode times keep increasing.
		const grow = new DtsEstimator(0, 10);
		const out = pts.map((p) => grow.push(p));
		for (let i = 1; i < out.length; i++) expect(out[i]).toBeGreaterThan(out[i - 1]);
		expect(grow.depth).toBe(1);
	});

	it('unwraps 32-bit RTP timestamps both ways', () => {
		const u = new TimestampUnwrapper();
		expect([0xfffffff0, 0x10, 0x20, 0xffffff00].map((t) => u.push(t))).toEqual([0xfffffff0, 0x100000010, 0x100000020, 0xffffff00]);
	});

	it('RTCP sender report with CNAME: parses back', () => {
		const sr = senderReport({ ssrc: 0x1234, ntpMs: 1_700_000_000_250, rtpTimestamp: 90000, packets: 10, octets: 1000, cname: 'vantage' });
		expect(sr.length % 4).toBe(0);
		const [p, sdes] = parseRtcp(sr);
		expect(p).toMatchObject({ type: 200, ssrc: 0x1234, sr: { rtpTimestamp: 90000 } });
		expect(Math.abs(p.sr!.ntpMs - 1_700_000_000_250)).toBeLessThan(1);
		expect(sdes.type).toBe(202);
		expect(parseRtcp(Buffer.from([0x80, 200, 0, 50]))).toEqual([]);
	});
});

describe('a real ffmpeg publishing session, replayed', () => {
	it('gives access units (keyframe first, in-order decode times) and AAC frames; they decode', async () => {
		const app = fakeApp();
		const ended: string[] = [];
		const parser = new RtspParser();
		const messages = parser.push(PUBLISH);
		let session: RecordSession | undefined;
		for (const m of messages) {
			if (m.type === 'request' && m.request.method === 'ANNOUNCE')
				session = new RecordSession({ id: 'bbbbbbbbbbbb' }, m.request.body.toString(), {
					path: ['bbbbbbbbbbbb'],
					remoteAddress: '127.0.0.1',
					backend: app.backend,
					publishTimeoutMs: 10_000,
					onEnd: (r) => ended.push(r),
					log: () => {}
				});
			else if (m.type === 'request' && m.request.method === 'SETUP') {
				const t = session!.trackFor({ path: ['bbbbbbbbbbbb', m.request.uri.split('/').pop()!], query: {} })!;
				const ch = /interleaved=(\d+)-(\d+)/.exec(m.request.headers.get('transport')!)!;
				session!.setupTcp(t, [Number(ch[1]), Number(ch[2])]);
			} else if (m.type === 'request' && m.request.method === 'RECORD') session!.record();
			else if (m.type === 'data') session!.onInterleaved(m.channel, m.data);
		}
		session!.close('teardown');
		const pub = app.publishes[0];
		expect(pub.tracks.video!.codec).toBe('h264');
		expect(pub.tracks.audio).toMatchObject({ codec: 'aac', sampleRate: 44100, channels: 1 });
		expect(pub.closed).toBe('teardown');
		expect(pub.video.length).toBe(25);
		expect(pub.video[0].keyframe).toBe(true);
		for (let i = 1; i < pub.video.length; i++) expect(pub.video[i].dts).toBeGreaterThan(pub.video[i - 1].dts);
		expect(pub.video.every((v) => v.dts <= v.pts + 1e-9)).toBe(true);
		expect(pub.audio.length).toBeGreaterThanOrEqual(35);
		expect(session!.dropped).toBe(0);
		// The access units are a decodable H.264 stream.
		const cfg = parseAvcC(pub.tracks.video!.config);
		const start = Buffer.from([0, 0, 0, 1]);
		const annexB = Buffer.concat([
			...[...cfg.sps, ...cfg.pps].flatMap((n) => [start, n]),
			...pub.videoData.flatMap((au) => splitLengthPrefixed(au).flatMap((n) => [start, n]))
		]);
		const file = path.join(mkdtempSync(path.join(tmpdir(), 'vantage-rtsp-')), 'replay.h264');
		writeFileSync(file, annexB);
		const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file]).toString());
		expect(probe.streams[0]).toMatchObject({ codec_name: 'h264', width: 320, height: 240, nb_read_frames: '25' });
	});
});

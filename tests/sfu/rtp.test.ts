// RTP header, writer and the H.264 (RFC 6184) / H.265 (RFC 7798) / Opus
// (RFC 7587) packetizers, checked on real encoder output.
import { describe, expect, it } from 'vitest';
import { parseAvcC } from '../../src/lib/server/media/h264/avcc';
import { parseHvcC } from '../../src/lib/server/media/h264/hvcc';
import { H264_NAL, h264NalType, h265IsIrap, h265NalType } from '../../src/lib/server/media/h264/nal';
import { H264Depacketizer, H264Packetizer } from '../../src/lib/server/media/rtp/h264-packetizer';
import { H265Depacketizer, H265Packetizer } from '../../src/lib/server/media/rtp/h265-packetizer';
import { OPUS_CLOCK_RATE, opusPacketSamples, packetizeOpus } from '../../src/lib/server/media/rtp/opus-packetizer';
import { RtpWriter, parseRtp, serializeRtp, toRtpClock } from '../../src/lib/server/media/rtp/packet';
import { Fmp4Splitter } from '../../src/lib/server/media/fmp4';
import type { Sample } from '../../src/lib/server/media/types';
import { fixture, h264AccessUnits, h265AccessUnits } from './fixtures';

describe('RTP header', () => {
	it('serializes and parses, with CSRCs and an extension', () => {
		const header = { payloadType: 108, marker: true, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, csrcs: [1, 2], extension: { profile: 0xbede, data: Buffer.from([0x10, 0xaa, 0, 0]) } };
		const pkt = serializeRtp(header, Buffer.from('payload'));
		expect(pkt[0]).toBe(0x80 | 0x10 | 2);
		expect(pkt[1]).toBe(0x80 | 108);
		const back = parseRtp(pkt);
		expect(back.header).toEqual(header);
		expect(back.payload.toString()).toBe('payload');
	});

	it('strips padding and rejects non-RTP', () => {
		const pkt = Buffer.concat([serializeRtp({ payloadType: 96, marker: false, sequenceNumber: 1, timestamp: 2, ssrc: 3 }, Buffer.from('ab')), Buffer.from([0, 0, 3])]);
		pkt[0] |= 0x20;
		expect(parseRtp(pkt).payload.toString()).toBe('ab');
		expect(() => parseRtp(Buffer.alloc(12))).toThrow(/version/);
	});

	it('writer: random SSRC/sequence/offset, sequence wraps, timestamps offset', () => {
		const a = new RtpWriter(96);
		const b = new RtpWriter(96);
		expect(a.ssrc === b.ssrc && a.nextSequence === b.nextSequence).toBe(false);
		const w = new RtpWriter(108, { ssrc: 42, initialSequence: 65535, timestampOffset: 1000 });
		const p1 = parseRtp(w.write({ payload: Buffer.from([1]), marker: false }, 3000));
		const p2 = parseRtp(w.write({ payload: Buffer.from([2]), marker: true }, 3000));
		expect([p1.header.sequenceNumber, p2.header.sequenceNumber]).toEqual([65535, 0]);
		expect(p1.header.timestamp).toBe(4000);
		expect(p2.header).toMatchObject({ marker: true, payloadType: 108, ssrc: 42 });
	});

	it('converts media time to the 90 kHz clock, wrapping at 2^32', () => {
		expect(toRtpClock(1, 30)).toBe(3000);
		expect(toRtpClock(90000, 90000)).toBe(90000);
		expect(toRtpClock(1001, 30000)).toBe(3003);
		expect(toRtpClock(2 ** 32 + 5, 90000)).toBe(5);
		expect(toRtpClock(48000 * 100000, 48000)).toBe((9_000_000_000 % 2 ** 32) >>> 0);
	});
});

describe('H.264 packetizer (RFC 6184, packetization-mode 1)', () => {
	const cfg = parseAvcC(fixture('testsrc2-320x180-baseline.avcC'));
	const aus = h264AccessUnits();

	it('reassembles every access unit of a real stream from its packets', () => {
		const pk = new H264Packetizer({ sps: cfg.sps, pps: cfg.pps });
		const dp = new H264Depacketizer();
		let fuA = 0;
		let stapA = 0;
		for (const au of aus) {
			const packets = pk.packetize(au);
			expect(packets.every((p) => p.payload.length <= 1200)).toBe(true);
			expect(packets.map((p) => p.marker)).toEqual(packets.map((_, i) => i === packets.length - 1));
			fuA += packets.filter((p) => h264NalType(p.payload) === H264_NAL.FU_A).length;
			stapA += packets.filter((p) => h264NalType(p.payload) === H264_NAL.STAP_A).length;
			const nals = packets.flatMap((p) => dp.push(p.payload));
			expect(nals.map((n) => n.toString('hex'))).toEqual(au.map((n) => n.toString('hex')));
		}
		expect(fuA).toBeGreaterThan(0);
		expect(stapA).toBeGreaterThan(0);
	});

	it('fragments with FU-A: S on the first, E on the last, NRI and type kept', () => {
		const idr = aus[0].find((n) => h264NalType(n) === H264_NAL.IDR)!;
		expect(idr.length).toBeGreaterThan(1200);
		const packets = new H264Packetizer().packetize([idr]);
		expect(packets.length).toBe(Math.ceil((idr.length - 1) / 1198));
		for (const [i, p] of packets.entries()) {
			expect(p.payload[0]).toBe((idr[0] & 0xe0) | 28);
			expect(p.payload[1] & 0x1f).toBe(5);
			expect((p.payload[1] & 0x80) !== 0).toBe(i === 0);
			expect((p.payload[1] & 0x40) !== 0).toBe(i === packets.length - 1);
		}
	});

	it('puts the avcC SPS/PPS before an IDR that lacks them, in a STAP-A Janus sees as a keyframe', () => {
		const idrOnly = aus[30].filter((n) => h264NalType(n) === H264_NAL.IDR);
		const packets = new H264Packetizer({ sps: cfg.sps, pps: cfg.pps }).packetize(idrOnly);
		const first = packets[0].payload;
		expect(h264NalType(first)).toBe(H264_NAL.STAP_A);
		expect(first[3] & 0x1f).toBe(H264_NAL.SPS); // first aggregated unit: Janus's janus_h264_is_keyframe looks for it
		expect(first.length).toBeGreaterThanOrEqual(16); // and ignores payloads shorter than 16 bytes
		const dp = new H264Depacketizer();
		const nals = packets.flatMap((p) => dp.push(p.payload));
		expect(nals.map(h264NalType)).toEqual([7, 8, 5, 5]);
		expect(nals[0].equals(cfg.sps[0]) && nals[1].equals(cfg.pps[0])).toBe(true);
	});

	it('leaves P frames alone, drops AUDs, and adopts in-band parameter sets', () => {
		const pk = new H264Packetizer({ sps: [Buffer.from('67aaaa', 'hex')], pps: [Buffer.from('68bb', 'hex')] });
		const dp = new H264Depacketizer();
		const aud = Buffer.from([0x09, 0xf0]);
		const p = pk.packetize([aud, ...aus[1]]).flatMap((x) => dp.push(x.payload));
		expect(p.map(h264NalType)).toEqual([1, 1]);
		pk.packetize(aus[0]); // carries SPS/PPS: they replace the configured ones
		const idr = pk.packetize(aus[30].filter((n) => h264NalType(n) === 5)).flatMap((x) => dp.push(x.payload));
		expect(idr[0].equals(aus[0][0])).toBe(true);
	});

	it('drops a NAL whose fragment was lost', () => {
		const idr = aus[0].find((n) => h264NalType(n) === H264_NAL.IDR)!;
		const packets = new H264Packetizer().packetize([idr, aus[1][0]]);
		const dp = new H264Depacketizer();
		const out = packets.map((p, i) => ({ p, seq: i })).filter(({ seq }) => seq !== 1).flatMap(({ p, seq }) => dp.push(p.payload, seq));
		expect(out.map(h264NalType)).toEqual([1]);
	});
});

describe('H.265 packetizer (RFC 7798)', () => {
	const cfg = parseHvcC(fixture('testsrc2-320x180.hvcC'));
	const aus = h265AccessUnits();

	it('reassembles every access unit of a real stream (AP + FU)', () => {
		expect(aus.length).toBe(12);
		const pk = new H265Packetizer({ vps: cfg.vps, sps: cfg.sps, pps: cfg.pps });
		const dp = new H265Depacketizer();
		const types = new Set<number>();
		for (const au of aus) {
			const packets = pk.packetize(au);
			expect(packets.every((p) => p.payload.length <= 1200)).toBe(true);
			expect(packets.map((p) => p.marker)).toEqual(packets.map((_, i) => i === packets.length - 1));
			packets.forEach((p) => types.add(h265NalType(p.payload)));
			const nals = packets.flatMap((p) => dp.push(p.payload));
			expect(nals.map((n) => n.toString('hex'))).toEqual(au.map((n) => n.toString('hex')));
		}
		expect(types.has(48)).toBe(true); // AP
		expect(types.has(49)).toBe(true); // FU
	});

	it('puts VPS/SPS/PPS before an IRAP picture that lacks them', () => {
		const irap = aus.find((au, i) => i > 0 && au.some((n) => h265IsIrap(h265NalType(n))))!;
		const pictureOnly = irap.filter((n) => h265NalType(n) < 32);
		const packets = new H265Packetizer({ vps: cfg.vps, sps: cfg.sps, pps: cfg.pps }).packetize(pictureOnly);
		const dp = new H265Depacketizer();
		const nals = packets.flatMap((p) => dp.push(p.payload));
		expect(nals.slice(0, 3).map(h265NalType)).toEqual([32, 33, 34]);
	});
});

describe('Opus packetizer (RFC 7587)', () => {
	// 0.5 s of a 440 Hz sine through libopus (20 ms frames) in fragmented MP4, as the hub holds Opus.
	const events = new Fmp4Splitter().push(fixture('sine-440-opus.mp4'));
	const track = events.flatMap((e) => (e.type === 'init' ? e.init.tracks : []))[0];
	const samples: Sample[] = events.flatMap((e) => (e.type === 'fragment' ? e.fragment.samples : []));

	it('sends each Opus packet whole as one RTP payload, marker bit 0', () => {
		expect(track).toMatchObject({ codec: 'opus', timescale: 48000 });
		expect(samples.length).toBeGreaterThanOrEqual(25);
		for (const s of samples) {
			const payloads = packetizeOpus(s.data);
			expect(payloads).toHaveLength(1);
			expect(payloads[0].payload.equals(s.data)).toBe(true);
			expect(payloads[0].marker).toBe(false);
		}
	});

	it('reads the duration of real packets from their TOC: 20 ms = 960 ticks of the 48 kHz RTP clock', () => {
		expect(samples.map((s) => opusPacketSamples(s.data))).toEqual(samples.map(() => 960));
		// The RTP timestamps of consecutive packets advance by their duration.
		const w = new RtpWriter(111, { timestampOffset: 0 });
		const ts = samples.slice(0, 5).map((s) => parseRtp(w.write(packetizeOpus(s.data)[0], toRtpClock(s.dts, track.timescale, OPUS_CLOCK_RATE))).header.timestamp);
		expect(ts.slice(1).map((t, i) => t - ts[i])).toEqual([960, 960, 960, 960]);
		expect(toRtpClock(800, 8000, OPUS_CLOCK_RATE)).toBe(4800); // a 100 ms pts at 8 kHz
	});

	it('reads every TOC configuration and frame count code (RFC 6716 §3.1)', () => {
		const toc = (config: number, code: number, ...rest: number[]) => Buffer.from([(config << 3) | code, ...rest]);
		expect(opusPacketSamples(toc(1, 0))).toBe(960); // SILK NB 20 ms
		expect(opusPacketSamples(toc(3, 0))).toBe(2880); // SILK NB 60 ms
		expect(opusPacketSamples(toc(12, 0))).toBe(480); // Hybrid SWB 10 ms
		expect(opusPacketSamples(toc(16, 0))).toBe(120); // CELT NB 2.5 ms
		expect(opusPacketSamples(toc(31, 1, 0))).toBe(1920); // two CELT FB 20 ms frames
		expect(opusPacketSamples(toc(31, 2, 0))).toBe(1920);
		expect(opusPacketSamples(toc(31, 3, 6))).toBe(5760); // six 20 ms frames: the 120 ms maximum
	});

	it('drops what is not an Opus packet', () => {
		expect(packetizeOpus(Buffer.alloc(0))).toEqual([]);
		expect(packetizeOpus(Buffer.from([(31 << 3) | 3]))).toEqual([]); // code 3 without its frame count
		expect(packetizeOpus(Buffer.from([(31 << 3) | 3, 0]))).toEqual([]); // no frames
		expect(packetizeOpus(Buffer.from([(3 << 3) | 3, 3]))).toEqual([]); // 180 ms: over the 120 ms limit
	});
});

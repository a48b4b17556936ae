// One RTSP reader: the tracks it set up, each with its RTP state (SSRC,
// sequence number, timestamp offset) and transport (interleaved on the RTSP
// connection, or UDP to the client's ports), fed by the hub as a consumer.
// It starts at the cached keyframe (the GOP so far, sent at once) and goes on
// live. A reader that can't keep up over TCP skips to the next keyframe.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Consumer } from '../hub/stream';
import type { Fragment, InitSegment, Sample, TrackInfo } from '../media/types';
import { parseAvcC } from '../media/h264/avcc';
import { parseHvcC } from '../media/h264/hvcc';
import { splitLengthPrefixed } from '../media/h264/nal';
import { H264Packetizer } from '../media/rtp/h264-packetizer';
import { H265Packetizer } from '../media/rtp/h265-packetizer';
import { packetizeOpus } from '../media/rtp/opus-packetizer';
import { packetizeAac } from '../media/rtp/aac-packetizer';
import type { RtpPayload } from '../media/rtp/packet';
import { describeTrack, senderReport, isRtcp, type SdpTrack, type TransportSpec } from '../media/rtsp';
import type { LiveSource, RtspBackend } from './backend';
import { RtspStatusError } from './backend';
import type { UdpPair } from './udp';

/** A track of a stream as the SDP describes it. */
export interface DescribedTrack {
	info: TrackInfo;
	sdp: SdpTrack;
}

/** The tracks of an init segment RTSP can carry, with their SDP (payload types 96…, controls trackID=N). */
export function describeTracks(init: InitSegment): DescribedTrack[] {
	const out: DescribedTrack[] = [];
	for (const info of init.tracks) {
		const sdp = describeTrack(info, 96 + out.length, `trackID=${out.length}`);
		if (sdp) out.push({ info, sdp });
	}
	return out;
}

/** Same codecs and parameters: a reader can go on through a stream restart with this init. */
function sameTrack(a: TrackInfo, b: TrackInfo): boolean {
	return (
		a.id === b.id &&
		a.codec === b.codec &&
		a.timescale === b.timescale &&
		(a.config ?? Buffer.alloc(0)).equals(b.config ?? Buffer.alloc(0)) &&
		(a.channels ?? 0) === (b.channels ?? 0)
	);
}

type Transport = { kind: 'tcp'; channels: [number, number] } | { kind: 'udp'; pair: UdpPair; address: string; ports: [number, number] };

interface PlayTrack {
	info: TrackInfo;
	sdp: SdpTrack;
	url?: string;
	transport?: Transport;
	ssrc: number;
	seq: number;
	tsOffset: number;
	packets: number;
	octets: number;
	lastTimestamp: number;
	packetize(s: Sample): RtpPayload[];
}

/** Bytes queued on a TCP reader past which it skips to the next keyframe, and past which it is dropped. */
const CONGESTED_BYTES = 8 * 1024 * 1024;
const HOPELESS_BYTES = 64 * 1024 * 1024;
const SR_INTERVAL_MS = 5000;

function packetizerFor(info: TrackInfo, maxPayload: number): (s: Sample) => RtpPayload[] {
	switch (info.codec) {
		case 'h264': {
			let lengthSize = 4;
			let pk = new H264Packetizer({ maxPayload });
			if (info.config) {
				try {
					const c = parseAvcC(info.config);
					lengthSize = c.nalLengthSize;
					pk = new H264Packetizer({ maxPayload, sps: c.sps, pps: c.pps });
				} catch {
					/* parameter sets in-band */
				}
			}
			return (s) => pk.packetize(splitLengthPrefixed(s.data, lengthSize));
		}
		case 'h265': {
			let lengthSize = 4;
			let pk = new H265Packetizer({ maxPayload });
			if (info.config) {
				try {
					const c = parseHvcC(info.config);
					lengthSize = c.nalLengthSize;
					pk = new H265Packetizer({ maxPayload, vps: c.vps, sps: c.sps, pps: c.pps });
				} catch {
					/* parameter sets in-band */
				}
			}
			return (s) => pk.packetize(splitLengthPrefixed(s.data, lengthSize));
		}
		case 'aac':
			return (s) => packetizeAac(s.data, maxPayload);
		case 'opus':
			return (s) => packetizeOpus(s.data);
		default:
			return () => [];
	}
}

export interface PlaySessionContext {
	socket: Socket;
	remoteAddress: string;
	backend: RtspBackend;
	maxPayload: number;
	/** The session ended by itself (stream changed codecs, reader hopelessly behind, socket error). */
	onEnd(reason: string): void;
	/** A sign of life from a UDP reader (RTCP). */
	onActivity(): void;
	log(line: string): void;
}

export class PlaySession {
	readonly id = randomBytes(8).toString('hex').toUpperCase();
	readonly kind = 'play';
	state: 'ready' | 'playing' | 'paused' | 'closed' = 'ready';
	readonly tracks: PlayTrack[];
	private byTrackId = new Map<number, PlayTrack>();
	private consumer?: Consumer;
	private detach?: () => void;
	private needKeyframe = true;
	/** Session time (s) = media time (s) + offset; undefined until the first sample is sent. */
	private offset?: number;
	private rebase = false;
	private lastSessionTime = 0;
	private lastSendWall = 0;
	private ntpBase = 0;
	private srTimer?: NodeJS.Timeout;
	readonly cname = `vantage-${randomBytes(4).toString('hex')}`;

	constructor(
		readonly source: LiveSource,
		described: DescribedTrack[],
		private readonly ctx: PlaySessionContext
	) {
		const rnd = randomBytes(10 * described.length);
		this.tracks = described.map((d, i) => ({
			info: d.info,
			sdp: d.sdp,
			ssrc: rnd.readUInt32BE(i * 10),
			seq: rnd.readUInt16BE(i * 10 + 4),
			tsOffset: rnd.readUInt32BE(i * 10 + 6),
			packets: 0,
			octets: 0,
			lastTimestamp: 0,
			packetize: packetizerFor(d.info, ctx.maxPayload)
		}));
	}

	get cameraId() {
		return this.source.id;
	}

	get bytes() {
		return this.consumer?.bytes ?? 0;
	}

	/** Sets up track `index` over `transport`; the answer's Transport. */
	setup(index: number, url: string, transport: Transport): PlayTrack {
		const t = this.tracks[index];
		if (!t) throw new RtspStatusError(404, 'no such track');
		if (this.state !== 'ready') throw new RtspStatusError(455, 'tracks can only be set up before PLAY');
		if (t.transport?.kind === 'udp') t.transport.pair.close();
		t.transport = transport;
		t.url = url;
		if (transport.kind === 'udp') {
			// RTCP receiver reports (and NAT pinholes' packets) keep a UDP session alive.
			const touch = (_msg: Buffer, rinfo: { address: string }) => {
				if (rinfo.address === transport.address) this.ctx.onActivity();
			};
			transport.pair.rtcp.on('message', touch);
			transport.pair.rtp.on('message', touch);
		}
		return t;
	}

	/** The channels in use on the connection by set-up tracks. */
	usedChannels(): Set<number> {
		const s = new Set<number>();
		for (const t of this.tracks) if (t.transport?.kind === 'tcp') t.transport.channels.forEach((c) => s.add(c));
		return s;
	}

	/**
	 * Starts (or resumes) sending; returns the RTP-Info header. The caller
	 * writes the PLAY response first, then calls `start` to send the cached GOP
	 * and attach to the live stream.
	 */
	play(): { rtpInfo?: string; start: () => void } {
		if (this.state === 'closed') throw new RtspStatusError(454, 'session closed');
		const active = this.tracks.filter((t) => t.transport);
		if (!active.length) throw new RtspStatusError(455, 'no track set up');
		const init = this.source.init;
		if (init && !active.every((t) => init.tracks.some((n) => sameTrack(n, t.info)))) throw new RtspStatusError(503, 'the stream changed since DESCRIBE: describe it again');
		const resuming = this.state === 'paused';
		this.state = 'playing';
		this.needKeyframe = true;
		// Session time 0 is the first sample sent: its RTP time is the track's offset.
		const rtpInfo = resuming ? undefined : active.map((t) => `url=${t.url};seq=${t.seq};rtptime=${t.tsOffset >>> 0}`).join(',');
		return {
			rtpInfo,
			start: () => {
				if (this.state !== 'playing') return;
				if (resuming) return;
				this.ntpBase = Date.now();
				this.consumer = {
					protocol: 'rtsp',
					remoteAddress: this.ctx.remoteAddress,
					startedAt: new Date(),
					bytes: 0,
					onInit: (init) => this.onInit(init),
					onFragment: (f) => this.safeDeliver(f)
				};
				this.detach = this.ctx.backend.attach(this.source.id, this.consumer);
				for (const f of this.source.cachedGop) this.safeDeliver(f);
				this.srTimer = setInterval(() => this.sendReports(), SR_INTERVAL_MS);
				this.srTimer.unref?.();
			}
		};
	}

	pause() {
		if (this.state === 'playing') this.state = 'paused';
	}

	close() {
		if (this.state === 'closed') return;
		this.state = 'closed';
		clearInterval(this.srTimer);
		this.detach?.();
		this.detach = undefined;
		for (const t of this.tracks) if (t.transport?.kind === 'udp') t.transport.pair.close();
	}

	private onInit(init: InitSegment) {
		if (this.state === 'closed') return;
		const compatible = this.tracks.every((t) => !t.transport || init.tracks.some((n) => sameTrack(n, t.info)));
		if (!compatible) {
			this.ctx.onEnd('the stream restarted with other codecs');
			return;
		}
		// Same codecs: carry on from the next keyframe, the timeline continued.
		this.needKeyframe = true;
		this.rebase = true;
	}

	private safeDeliver(f: Fragment) {
		try {
			this.deliver(f);
		} catch (e) {
			this.ctx.log(`rtsp: reader ${this.ctx.remoteAddress} session ${this.id}: ${(e as Error).message}`);
			this.ctx.onEnd('internal error');
		}
	}

	private deliver(f: Fragment) {
		if (this.state !== 'playing') return;
		const socket = this.ctx.socket;
		if (socket.destroyed) return;
		if (this.needKeyframe && !f.keyframe) return;
		if (socket.writableLength > HOPELESS_BYTES) {
			this.ctx.onEnd('reader too slow');
			return;
		}
		if (socket.writableLength > CONGESTED_BYTES) {
			this.needKeyframe = true;
			return;
		}
		this.needKeyframe = false;
		this.lastSendWall = Date.now();

		const tcp: Buffer[] = [];
		let tcpBytes = 0;
		let udpBytes = 0;
		for (const s of f.samples) {
			const t = this.byTrack(s.trackId);
			if (!t?.transport) continue;
			const payloads = t.packetize(s);
			if (!payloads.length) continue;
			const media = (s.dts + s.ctsOffset) / t.info.timescale;
			if (this.offset === undefined) this.offset = -media;
			else if (this.rebase) this.offset = this.lastSessionTime + 0.04 - media;
			this.rebase = false;
			const sessionTime = media + this.offset;
			if (sessionTime > this.lastSessionTime) this.lastSessionTime = sessionTime;
			const timestamp = (t.tsOffset + Math.round(sessionTime * t.sdp.clockRate)) >>> 0;
			t.lastTimestamp = timestamp;
			const first = t.packets === 0;
			if (t.transport.kind === 'tcp') {
				const frame = this.interleaved(t, payloads, timestamp, t.transport.channels[0]);
				tcp.push(frame);
				tcpBytes += frame.length;
			} else {
				const { pair, address, ports } = t.transport;
				for (const p of payloads) {
					const pkt = this.rtpPacket(t, p, timestamp);
					pair.rtp.send(pkt, ports[0], address);
					udpBytes += pkt.length;
				}
			}
			if (first) this.sendReport(t);
		}
		if (tcp.length) socket.write(tcp.length === 1 ? tcp[0] : Buffer.concat(tcp, tcpBytes));
		this.consumer && (this.consumer.bytes += tcpBytes + udpBytes);
	}

	private byTrack(trackId: number): PlayTrack | undefined {
		let t = this.byTrackId.get(trackId);
		if (!t) {
			t = this.tracks.find((x) => x.info.id === trackId);
			if (t) this.byTrackId.set(trackId, t);
		}
		return t;
	}

	private writeHeader(out: Buffer, at: number, t: PlayTrack, p: RtpPayload, timestamp: number) {
		out[at] = 0x80;
		out[at + 1] = (p.marker ? 0x80 : 0) | t.sdp.payloadType;
		out.writeUInt16BE(t.seq, at + 2);
		out.writeUInt32BE(timestamp, at + 4);
		out.writeUInt32BE(t.ssrc, at + 8);
		t.seq = (t.seq + 1) & 0xffff;
		t.packets++;
		t.octets += p.payload.length;
	}

	private rtpPacket(t: PlayTrack, p: RtpPayload, timestamp: number): Buffer {
		const out = Buffer.allocUnsafe(12 + p.payload.length);
		this.writeHeader(out, 0, t, p, timestamp);
		p.payload.copy(out, 12);
		return out;
	}

	/** All packets of one sample as interleaved frames, in one buffer. */
	private interleaved(t: PlayTrack, payloads: RtpPayload[], timestamp: number, channel: number): Buffer {
		let size = 0;
		for (const p of payloads) size += 16 + p.payload.length;
		const out = Buffer.allocUnsafe(size);
		let at = 0;
		for (const p of payloads) {
			out[at] = 0x24;
			out[at + 1] = channel;
			out.writeUInt16BE(12 + p.payload.length, at + 2);
			this.writeHeader(out, at + 4, t, p, timestamp);
			p.payload.copy(out, at + 16);
			at += 16 + p.payload.length;
		}
		return out;
	}

	private sendReports() {
		if (this.state !== 'playing') return;
		for (const t of this.tracks) if (t.transport && t.packets) this.sendReport(t);
	}

	/** A sender report: "now" on the session clock, the same for every track so readers can line them up. */
	private sendReport(t: PlayTrack) {
		if (!t.transport) return;
		const now = Date.now();
		const sessionNow = this.lastSessionTime + Math.max(0, now - this.lastSendWall) / 1000;
		const sr = senderReport({
			ssrc: t.ssrc,
			ntpMs: this.ntpBase + sessionNow * 1000,
			rtpTimestamp: (t.tsOffset + Math.round(sessionNow * t.sdp.clockRate)) >>> 0,
			packets: t.packets,
			octets: t.octets,
			cname: this.cname
		});
		if (t.transport.kind === 'tcp') {
			if (this.ctx.socket.destroyed) return;
			const frame = Buffer.allocUnsafe(4 + sr.length);
			frame[0] = 0x24;
			frame[1] = t.transport.channels[1];
			frame.writeUInt16BE(sr.length, 2);
			sr.copy(frame, 4);
			this.ctx.socket.write(frame);
			if (this.consumer) this.consumer.bytes += frame.length;
		} else {
			t.transport.pair.rtcp.send(sr, t.transport.ports[1], t.transport.address);
			if (this.consumer) this.consumer.bytes += sr.length;
		}
	}

	/** An interleaved frame from the reader (RTCP receiver reports): a sign of life only. */
	onInterleaved(_channel: number, data: Buffer) {
		if (isRtcp(data)) this.ctx.onActivity();
	}
}

export type { Transport as PlayTransport, TransportSpec };

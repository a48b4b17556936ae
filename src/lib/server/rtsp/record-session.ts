// One RTSP publisher (ANNOUNCE, SETUP mode=record, RECORD): RTP in, over the
// RTSP connection or UDP, depacketized into access units and audio frames
// that feed the camera's stream through the app's publish path. H.264/H.265
// parameter sets come from the SDP or, failing that, from the first in-band
// ones; publishing starts once they are known. Times: each track's RTP clock,
// anchored at the arrival of its first packet (so tracks line up as they were
// sent). Silence for publishTimeoutMs ends it.
import { randomBytes } from 'node:crypto';
import { joinLengthPrefixed } from '../media/h264/nal';
import { H264_NAL, H265_NAL, h264NalType, h265NalType } from '../media/h264/nal';
import { parseAacFmtp } from '../media/rtp/aac-packetizer';
import { parseRtp } from '../media/rtp/packet';
import { parseAudioSpecificConfig } from '../media/fmp4/init';
import {
	AacReceiver,
	DtsEstimator,
	OpusReceiver,
	VideoReceiver,
	avcCFrom,
	buildHvcC,
	h264ParameterSets,
	h264ReorderDepth,
	h265ParameterSets,
	h265ReorderDepth,
	isParameterSet,
	isRtcp,
	matchesControl,
	opusDops,
	parseAnnouncedSdp,
	type AccessUnit,
	type AnnouncedMedia,
	type RtspUri
} from '../media/rtsp';
import type { Publisher, PublishTarget, PublishTracks, RtspBackend } from './backend';
import { RtspStatusError } from './backend';
import type { UdpPair } from './udp';

type Role = 'video' | 'audio' | 'ignored';

interface RecordTrack {
	media: AnnouncedMedia;
	role: Role;
	codec?: 'h264' | 'h265' | 'aac' | 'opus';
	clock: number;
	channels?: [number, number];
	udp?: UdpPair;
	video?: VideoReceiver;
	aac?: AacReceiver;
	opus?: OpusReceiver;
	/** Arrival (s since RECORD) and RTP time of the track's first packet. */
	anchor?: { at: number; ts: number };
}

export interface RecordSessionContext {
	/** The path segments ANNOUNCE named (a camera id, or the name of a user's push path): SETUPs must name the same. */
	path: string[];
	remoteAddress: string;
	backend: RtspBackend;
	publishTimeoutMs: number;
	/** The session ended by itself (silence, a refused late start, garbage). */
	onEnd(reason: string): void;
	log(line: string): void;
}

export class RecordSession {
	readonly id = randomBytes(8).toString('hex').toUpperCase();
	readonly kind = 'record';
	state: 'announced' | 'recording' | 'closed' = 'announced';
	readonly tracks: RecordTrack[];
	private publisher?: Publisher;
	private ps: { vps: Buffer[]; sps: Buffer[]; pps: Buffer[] } = { vps: [], sps: [], pps: [] };
	private dts?: DtsEstimator;
	private startedAt = 0;
	private lastPacketAt = 0;
	private watchdog?: NodeJS.Timeout;
	/** RTP packets that were not RTP, or not for a track. */
	dropped = 0;
	received = 0;

	constructor(
		readonly target: PublishTarget,
		sdpText: string,
		private readonly ctx: RecordSessionContext
	) {
		let media: AnnouncedMedia[];
		try {
			media = parseAnnouncedSdp(sdpText).media;
		} catch (e) {
			throw new RtspStatusError(400, `bad SDP: ${(e as Error).message}`);
		}
		let hasVideo = false;
		let hasAudio = false;
		this.tracks = media.map((m) => {
			const t: RecordTrack = { media: m, role: 'ignored', clock: m.clockRate };
			if (m.kind === 'video' && !hasVideo && (m.encoding === 'H264' || m.encoding === 'H265') && m.clockRate > 0) {
				hasVideo = true;
				t.role = 'video';
				t.codec = m.encoding === 'H264' ? 'h264' : 'h265';
				t.video = new VideoReceiver(t.codec);
				const ps = t.codec === 'h264' ? { vps: [], ...h264ParameterSets(m.fmtp) } : h265ParameterSets(m.fmtp);
				this.ps = ps;
			} else if (m.kind === 'audio' && !hasAudio && m.clockRate > 0) {
				if (m.encoding === 'MPEG4-GENERIC') {
					const aac = parseAacFmtp(m.fmtp);
					if (aac && aac.config.length >= 2) {
						hasAudio = true;
						t.role = 'audio';
						t.codec = 'aac';
						t.aac = new AacReceiver(aac.format);
					}
				} else if (m.encoding === 'OPUS') {
					hasAudio = true;
					t.role = 'audio';
					t.codec = 'opus';
					t.opus = new OpusReceiver();
				}
			}
			return t;
		});
		if (!hasVideo) throw new RtspStatusError(415, 'a published stream needs an H.264 or H.265 video track');
	}

	get cameraId() {
		return this.target.id;
	}

	/** Whether a SETUP Request-URI is under the announced path. */
	isAnnounced(uri: RtspUri): boolean {
		return this.ctx.path.every((segment, i) => uri.path[i] === segment);
	}

	/** The announced media a SETUP Request-URI names: by a=control, else the first one not yet set up. */
	trackFor(uri: RtspUri): RecordTrack | undefined {
		return this.tracks.find((t) => t.media.control && matchesControl(uri, t.media.control)) ?? this.tracks.find((t) => !t.channels && !t.udp);
	}

	usedChannels(): Set<number> {
		const s = new Set<number>();
		for (const t of this.tracks) t.channels?.forEach((c) => s.add(c));
		return s;
	}

	setupTcp(t: RecordTrack, channels: [number, number]) {
		if (this.state !== 'announced') throw new RtspStatusError(455, 'tracks can only be set up before RECORD');
		t.udp?.close();
		t.udp = undefined;
		t.channels = channels;
	}

	setupUdp(t: RecordTrack, pair: UdpPair) {
		if (this.state !== 'announced') throw new RtspStatusError(455, 'tracks can only be set up before RECORD');
		t.udp?.close();
		t.channels = undefined;
		t.udp = pair;
		pair.rtp.on('message', (msg, rinfo) => {
			if (rinfo.address === this.ctx.remoteAddress) this.onRtp(t, msg);
		});
		pair.rtcp.on('message', (_msg, rinfo) => {
			if (rinfo.address === this.ctx.remoteAddress) this.lastPacketAt = Date.now();
		});
	}

	/** RECORD: starts receiving; RtspStatusError 453 when the camera already has a publisher. */
	record() {
		if (this.state === 'closed') throw new RtspStatusError(454, 'session closed');
		const video = this.tracks.find((t) => t.role === 'video');
		if (!video?.channels && !video?.udp) throw new RtspStatusError(455, 'the video track is not set up');
		if (this.state === 'recording') return;
		this.state = 'recording';
		this.startedAt = this.lastPacketAt = Date.now();
		this.watchdog = setInterval(() => {
			if (Date.now() - this.lastPacketAt > this.ctx.publishTimeoutMs) this.ctx.onEnd(`no data for ${this.ctx.publishTimeoutMs / 1000} s`);
		}, 1000);
		this.watchdog.unref?.();
		this.tryStart(true);
	}

	close(reason: string) {
		if (this.state === 'closed') return;
		this.state = 'closed';
		clearInterval(this.watchdog);
		this.publisher?.close(reason);
		this.publisher = undefined;
		for (const t of this.tracks) t.udp?.close();
	}

	/** An interleaved frame from the publisher. */
	onInterleaved(channel: number, data: Buffer) {
		const t = this.tracks.find((x) => x.channels?.[0] === channel);
		if (t) this.onRtp(t, data);
		else if (this.tracks.some((x) => x.channels?.[1] === channel)) this.lastPacketAt = Date.now();
		else this.dropped++;
	}

	private onRtp(t: RecordTrack, data: Buffer) {
		if (this.state !== 'recording') return;
		if (isRtcp(data)) {
			this.lastPacketAt = Date.now();
			return;
		}
		let pkt;
		try {
			pkt = parseRtp(data);
		} catch {
			this.dropped++;
			return;
		}
		if (pkt.header.payloadType !== t.media.payloadType) {
			this.dropped++;
			return;
		}
		this.received++;
		this.lastPacketAt = Date.now();
		if (t.role === 'video') for (const au of t.video!.push(pkt)) this.onAccessUnit(t, au);
		else if (t.role === 'audio') {
			const frames = t.aac ? t.aac.push(pkt) : t.opus!.push(pkt);
			if (!this.publisher) return;
			for (const f of frames) this.publisher.audio(f.data, this.seconds(t, f.pts));
		}
	}

	private seconds(t: RecordTrack, ts: number): number {
		t.anchor ??= { at: (Date.now() - this.startedAt) / 1000, ts };
		return t.anchor.at + (ts - t.anchor.ts) / t.clock;
	}

	private onAccessUnit(t: RecordTrack, au: AccessUnit) {
		const codec = t.codec as 'h264' | 'h265';
		if (!this.publisher) {
			// Learn parameter sets from the stream when the SDP had none.
			const found: { vps: Buffer[]; sps: Buffer[]; pps: Buffer[] } = { vps: [], sps: [], pps: [] };
			for (const n of au.nals) {
				const kind = isParameterSet(codec, n);
				if (kind) found[kind].push(n);
			}
			if (found.sps.length) this.ps.sps = found.sps;
			if (found.pps.length) this.ps.pps = found.pps;
			if (found.vps.length) this.ps.vps = found.vps;
			this.tryStart(false);
			if (!this.publisher) {
				this.seconds(t, au.pts);
				return;
			}
		}
		const isAud = (n: Buffer) => (codec === 'h264' ? h264NalType(n) === H264_NAL.AUD : h265NalType(n) === H265_NAL.AUD);
		const nals = au.nals.filter((n) => !isAud(n));
		if (!nals.length) return;
		const dts = this.dts!.push(au.pts);
		const publisher = this.publisher as Publisher;
		publisher.video(joinLengthPrefixed(nals), this.seconds(t, dts), this.seconds(t, au.pts), au.keyframe);
	}

	/** Starts publishing once the video's decoder configuration is known. */
	private tryStart(answering: boolean) {
		if (this.publisher || this.state !== 'recording') return;
		const video = this.tracks.find((t) => t.role === 'video')!;
		let config: Buffer | undefined;
		let depth: number;
		if (video.codec === 'h264') {
			config = avcCFrom(this.ps.sps, this.ps.pps);
			depth = h264ReorderDepth(this.ps.sps[0]);
		} else {
			try {
				config = this.ps.vps.length && this.ps.sps.length && this.ps.pps.length ? buildHvcC(this.ps.vps, this.ps.sps, this.ps.pps) : undefined;
			} catch {
				config = undefined;
			}
			depth = h265ReorderDepth(this.ps.sps[0]);
		}
		if (!config) return;
		const tracks: PublishTracks = { video: { codec: video.codec as 'h264' | 'h265', config } };
		const audio = this.tracks.find((t) => t.role === 'audio' && (t.channels || t.udp));
		if (audio?.codec === 'aac') {
			const asc = parseAacFmtp(audio.media.fmtp)!.config;
			const info = parseAudioSpecificConfig(asc);
			tracks.audio = { codec: 'aac', config: asc, sampleRate: audio.clock, channels: info.channels ?? audio.media.channels ?? 2 };
		} else if (audio?.codec === 'opus') {
			const channels = audio.media.fmtp['sprop-stereo'] === '0' ? 1 : (audio.media.channels ?? 2);
			tracks.audio = { codec: 'opus', config: opusDops(channels), sampleRate: 48000, channels };
			audio.clock = 48000;
		}
		try {
			this.publisher = this.ctx.backend.startPublish(this.target, tracks, this.ctx.remoteAddress);
		} catch (e) {
			if (answering) throw e;
			this.ctx.onEnd(e instanceof RtspStatusError ? e.message : 'publishing refused');
			return;
		}
		this.dts = new DtsEstimator(depth, video.clock / 25);
		this.ctx.log(
			`rtsp: ${this.ctx.remoteAddress} publishes to camera ${this.target.id} (${video.codec}${tracks.audio ? ` + ${tracks.audio.codec}` : ''}, reorder depth ${depth})`
		);
	}
}

// WebRTC viewers for the bench: werift RTCPeerConnections (recvonly H.264),
// with per-viewer RTP accounting (sequence-number loss, RFC 3550 jitter) and
// added-latency samples matched against a reference feed by NAL content.
import dgram from 'node:dgram';
import { RTCDtlsTransport, RTCPeerConnection, useH264 } from 'werift';
import WebSocket from 'ws';

// Every UDP socket of this process (werift's ICE sockets, the reference
// sockets) gets a 2 MiB receive buffer (the kernel doubles it, capped by
// net.core.rmem_max): a moment when the bench's event loop doesn't run (the
// 2 cores are busy) then shows as latency, not as loss the SFU didn't cause.
// The kernel's UDP drop counters are reported per window anyway.
const RCVBUF = 2 * 1024 * 1024;
const origBind = dgram.Socket.prototype.bind;
dgram.Socket.prototype.bind = function (...args) {
	this.once('listening', () => {
		try {
			this.setRecvBufferSize(RCVBUF);
		} catch {
			/* keep the default */
		}
	});
	return origBind.apply(this, args);
};

// ---- NAL keys: the same slice is recognised whatever its RTP packetization ----

const SLICE_TYPES = new Set([1, 5]); // non-IDR and IDR slices (SPS/PPS/SEI repeat: no use as keys)
const KEY_BYTES = 256; // hashed from the NAL's start: every packetization carries at least this much of it in its first packet

/** Keys of the slice NAL units that START in this H.264 RTP payload (RFC 6184 single NAL, STAP-A, FU-A). */
export function nalKeys(p) {
	if (p.length < 2) return [];
	const type = p[0] & 0x1f;
	if (type >= 1 && type <= 23) return SLICE_TYPES.has(type) ? [key(type, p, 1, p.length)] : [];
	if (type === 24) {
		const keys = [];
		for (let o = 1; o + 2 < p.length; ) {
			const size = p.readUInt16BE(o);
			const t = p[o + 2] & 0x1f;
			if (SLICE_TYPES.has(t)) keys.push(key(t, p, o + 3, Math.min(p.length, o + 2 + size)));
			o += 2 + size;
		}
		return keys;
	}
	if (type === 28 && p[1] & 0x80) {
		const t = p[1] & 0x1f;
		return SLICE_TYPES.has(t) ? [key(t, p, 2, p.length)] : [];
	}
	return [];
}

/** FNV-1a (32 bit) over the NAL's first bytes after its header, with its type and hashed length. */
function key(type, p, from, to) {
	const end = Math.min(to, from + KEY_BYTES);
	let h = 0x811c9dc5;
	for (let i = from; i < end; i++) h = Math.imul(h ^ p[i], 0x01000193);
	return `${type}:${end - from}:${h >>> 0}`;
}

/**
 * When each slice reached a reference point (side B: ffmpeg's tee'd copy of
 * what it sends Janus; side A: an ffmpeg reading the same RTSP source as
 * Vantage's ingest, and a replica of that ingest's fMP4 output). Two
 * generations of maps, swapped every few seconds, bound the memory.
 */
export class ReferenceTimes {
	constructor() {
		this.cur = new Map();
		this.old = new Map();
		this.timer = setInterval(() => {
			this.old = this.cur;
			this.cur = new Map();
		}, 4000);
		this.timer.unref();
	}
	mark(payload, now = performance.now()) {
		for (const k of nalKeys(payload)) this.cur.set(k, now); // a repeated slice (static picture): its newest time
	}
	/** A raw NAL unit (from an MP4 sample). */
	markNal(nal, now = performance.now()) {
		const t = nal[0] & 0x1f;
		if (SLICE_TYPES.has(t)) this.cur.set(key(t, nal, 1, nal.length), now);
	}
	get(k) {
		return this.cur.get(k) ?? this.old.get(k);
	}
	stop() {
		clearInterval(this.timer);
	}
}

// ---- werift hook: RTP accounting from the wire, SRTP only for "full" viewers ----
//
// werift decrypts SRTP and parses RTP in JavaScript (a decipher object per
// packet, RTP headers parsed through bit strings): ~1.1 % of a core per
// viewer at 241 packets/s, which would make 100 viewers in the bench process
// cost more than the SFU under test on a 2-core machine. Every viewer is a
// real werift RTCPeerConnection (ICE, DTLS, SRTP keys, RTCP), and every
// viewer counts its packets from the RTP header, which SRTP leaves in clear
// (sequence number, timestamp); only "full" viewers also run werift's SRTP
// decryption and RTP pipeline (payloads, so the latency samples, and a check
// that what Janus sends decrypts). The others skip it.

const origStartSrtp = RTCDtlsTransport.prototype.startSrtp;
RTCDtlsTransport.prototype.startSrtp = function () {
	const v = this.__benchViewer;
	if (v && !this.srtpStarted) this.iceTransport.connection.onData.subscribe((data) => v.onWire(data));
	if (v && !v.full) {
		if (this.srtpStarted) return;
		this.srtpStarted = true;
		this.updateSrtpSession(); // keys for the RTCP werift still sends
		return;
	}
	return origStartSrtp.call(this);
};

// ---- one viewer ----

export class Viewer {
	/**
	 * @param {number} n index
	 * @param {{ refs: Record<string, ReferenceTimes>, latency: Record<string, number[]> | null }} shared latency samples (ms) per reference go to shared.latency while it is set
	 * @param {boolean} full run werift's SRTP/RTP pipeline too (latency samples)
	 */
	constructor(n, shared, full) {
		this.n = n;
		this.shared = shared;
		this.full = full;
		this.t0 = performance.now();
		this.firstRtpAt = null;
		this.connectedAt = null;
		this.maxExt = -1;
		this.received = 0;
		this.decrypted = 0;
		this.jitter = 0; // RFC 3550, in 90 kHz units
		this.lastTransit = null;
		this.window = null;
		this.closed = false;
		this.pc = new RTCPeerConnection({
			iceServers: [], // werift's default is a public STUN server
			iceUseIpv6: false,
			codecs: { audio: [], video: [useH264()] },
			headerExtensions: { audio: [], video: [] }
		});
		this.pc.connectionStateChange.subscribe((s) => {
			if (s === 'connected' && this.connectedAt === null) this.connectedAt = performance.now();
			if (s === 'failed' || s === 'closed') this.failed ??= `connection ${s}`;
		});
		this.pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => this.onRtp(rtp)));
		this.firstRtp = new Promise((resolve) => (this.resolveFirst = resolve));
	}

	/** Mark this viewer's DTLS transport(s) for the startSrtp hook; call after each description step. */
	tagTransports() {
		for (const t of this.pc.dtlsTransports ?? []) t.__benchViewer = this;
	}

	/** A datagram of the media transport, still encrypted: RTP header fields are in clear. */
	onWire(data) {
		if (data.length < 12 || data[0] < 128 || data[0] > 191) return; // not RTP/RTCP
		const pt = data[1] & 0x7f;
		if (pt >= 64 && pt <= 95) return; // RTCP (RFC 5761)
		const now = performance.now();
		const seq = data.readUInt16BE(2);
		const ts = data.readUInt32BE(4);
		let ext;
		if (this.maxExt < 0) {
			ext = seq;
			this.firstRtpAt = now;
			this.resolveFirst();
		} else {
			const d = (seq - (this.maxExt & 0xffff) + 0x10000) & 0xffff;
			ext = d < 0x8000 ? this.maxExt + d : this.maxExt - (0x10000 - d);
		}
		if (ext > this.maxExt) this.maxExt = ext;
		this.received++;
		// RFC 3550 A.8 interarrival jitter.
		const transit = now * 90 - ts;
		if (this.lastTransit !== null) {
			let d = transit - this.lastTransit;
			if (d > 2 ** 31) d -= 2 ** 32; // timestamps wrap at 2^32
			else if (d < -(2 ** 31)) d += 2 ** 32;
			this.jitter += (Math.abs(d) - this.jitter) / 16;
		}
		this.lastTransit = transit;
		const w = this.window;
		if (w) {
			if (data[1] & 0x80) w.frames++; // marker bit: last packet of a frame
			if (ext > w.maxAtStart) w.seen.add(ext);
			w.jSum += this.jitter;
			w.jN++;
		}
	}

	/** A packet werift decrypted (full viewers only): latency samples against each reference. */
	onRtp(rtp) {
		this.decrypted++;
		const lat = this.shared.latency;
		if (!lat) return;
		const now = performance.now();
		for (const k of nalKeys(rtp.payload)) {
			for (const [name, ref] of Object.entries(this.shared.refs)) {
				const t = ref.get(k);
				if (t !== undefined) (lat[name] ??= []).push(now - t);
			}
		}
	}

	beginWindow() {
		this.window = { maxAtStart: this.maxExt, seen: new Set(), maxAtEnd: null, jSum: 0, jN: 0, frames: 0, framesAtEnd: null };
	}
	endWindow() {
		if (this.window) {
			this.window.maxAtEnd = this.maxExt;
			this.window.framesAtEnd = this.window.frames;
		}
	}
	/** Call a moment after endWindow (late/retransmitted packets of the window still count). */
	windowStats(seconds) {
		const w = this.window;
		this.window = null;
		if (!w || w.maxAtEnd === null) return { expected: 0, received: 0, pps: 0, fps: 0, jitterMs: this.jitter / 90 };
		const expected = Math.max(0, w.maxAtEnd - w.maxAtStart);
		let received = 0;
		for (const e of w.seen) if (e <= w.maxAtEnd) received++;
		// the window's mean of the running RFC 3550 estimate
		return { expected, received, pps: received / seconds, fps: w.framesAtEnd / seconds, jitterMs: w.jN ? w.jSum / w.jN / 90 : this.jitter / 90 };
	}

	async gathered() {
		if (this.pc.iceGatheringState === 'complete') return;
		await new Promise((resolve) => {
			const sub = this.pc.iceGatheringStateChange.subscribe((s) => {
				if (s === 'complete') {
					sub.unSubscribe?.();
					resolve();
				}
			});
			setTimeout(resolve, 5000);
		});
	}

	async close() {
		if (this.closed) return;
		this.closed = true;
		try {
			await this.detach?.();
		} catch {
			/* already gone */
		}
		await this.pc.close().catch(() => {});
	}
}

/** werift never makes mDNS candidates, but drop `.local` ones anyway (media.md). */
function dropMdns(sdp) {
	return sdp
		.split('\r\n')
		.filter((l) => !(l.startsWith('a=candidate:') && /\s\S+\.local\s/.test(l)))
		.join('\r\n');
}

// ---- side B: Janus's own flow (watch → Janus offer → werift answer → start) ----

export async function joinJanus(viewer, conn, mountId) {
	const handle = await conn.attach();
	viewer.detach = () => conn.detach(handle);
	const watched = await conn.message(handle, { request: 'watch', id: mountId, offer_audio: false, offer_data: false });
	if (watched.jsep?.type !== 'offer') throw new Error('janus sent no offer');
	await viewer.pc.setRemoteDescription({ type: 'offer', sdp: dropMdns(watched.jsep.sdp) });
	viewer.tagTransports();
	await viewer.pc.setLocalDescription(await viewer.pc.createAnswer());
	viewer.tagTransports();
	await viewer.gathered();
	await conn.message(handle, { request: 'start' }, { type: 'answer', sdp: dropMdns(viewer.pc.localDescription.sdp) });
}

// ---- side A: Vantage's go2rtc protocol over WS /api/proxy/ws ----

export async function joinVantage(viewer, wsUrl) {
	const ws = new WebSocket(wsUrl);
	viewer.ws = ws;
	await new Promise((resolve, reject) => {
		ws.once('open', resolve);
		ws.once('error', reject);
		ws.once('unexpected-response', (_req, res) => reject(new Error(`ws upgrade: HTTP ${res.statusCode}`)));
	});
	const candidates = [];
	let answered = false;
	const sendCandidate = (c) => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'webrtc/candidate', value: c }));
	viewer.pc.onIceCandidate.subscribe((c) => {
		const s = c?.candidate ?? ''; // undefined: end of candidates (sent below)
		if (!s || s.includes('.local ')) return;
		if (answered) sendCandidate(s);
		else candidates.push(s);
	});
	viewer.pc.addTransceiver('video', { direction: 'recvonly' });
	await viewer.pc.setLocalDescription(await viewer.pc.createOffer());
	viewer.tagTransports();
	// The offer goes out without candidates, which follow as webrtc/candidate
	// (after the answer: ws-endpoint rejects candidates before its viewer exists).
	const offer = viewer.pc.localDescription.sdp
		.split('\r\n')
		.filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
		.join('\r\n');
	const answer = await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('no webrtc/answer within 20 s')), 20_000);
		ws.on('message', (d) => {
			let msg;
			try {
				msg = JSON.parse(d.toString());
			} catch {
				return;
			}
			if (msg.type === 'webrtc/answer') {
				clearTimeout(timer);
				resolve(msg.value);
			} else if (msg.type === 'error') {
				clearTimeout(timer);
				reject(new Error(`vantage: ${msg.value}`));
			}
		});
		ws.once('close', (code, reason) => {
			clearTimeout(timer);
			reject(new Error(`ws closed ${code} ${reason}`));
		});
		ws.send(JSON.stringify({ type: 'webrtc/offer', value: offer }));
	});
	await viewer.pc.setRemoteDescription({ type: 'answer', sdp: dropMdns(answer) });
	viewer.tagTransports();
	answered = true;
	await viewer.gathered();
	for (const c of candidates.splice(0)) sendCandidate(c);
	sendCandidate(''); // end of candidates
	viewer.detach = async () => ws.close();
}

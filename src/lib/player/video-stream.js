/**
 * <video-stream> — Vantage's live camera player, one dependency-free ES module.
 *
 *   <script type="module" src="http://HOST:1984/video-stream.js"></script>
 *   const player = document.createElement('video-stream');
 *   player.mode = 'webrtc,mse,hls';   // tried in order
 *   player.src = 'ws://HOST:1984/api/proxy/ws?id=CAMERA_ID&token=TOKEN';
 *   document.body.appendChild(player);
 *
 * It speaks the WebSocket protocol of go2rtc's player: JSON text frames
 * {type, value} plus binary frames carrying media (MSE fragments, MP4 snapshots).
 *   webrtc  → {type:'webrtc/offer', value:sdp} ← {type:'webrtc/answer', value:sdp};
 *             {type:'webrtc/candidate', value:'candidate:…'} both ways ('' = end of candidates)
 *   mse     → {type:'mse', value:'avc1.640029,…'} ← {type:'mse', value:'video/mp4; codecs="…"'}
 *             ← binary init segment, then binary fMP4 fragments from a keyframe
 *   hls     → {type:'hls', value:codecs} ← {type:'hls', value:'#EXTM3U …'} (absolute URIs)
 *   mp4     → {type:'mp4', value:codecs} ← binary self-contained keyframe MP4s (snapshots)
 *   errors  ← {type:'error', value:'<request type>: <message>'} → shown, next mode is tried
 *
 * Properties: src, mode, media, background, iceServers; read-only: activeMode, state,
 * stats, video. Events: 'statechange' {state, message}, 'modechange' {mode, previous}.
 */

// What the browser is asked about for MSE/HLS/MP4, best first (same list as go2rtc).
const CODECS = [
	'avc1.640029', // H.264 high 4.1
	'avc1.64002A', // H.264 high 4.2
	'avc1.640033', // H.264 high 5.1
	'hvc1.1.6.L153.B0', // H.265 main 5.1
	'mp4a.40.2', // AAC LC
	'mp4a.40.5', // AAC HE
	'flac',
	'opus'
];
const AUDIO_CODEC = /^(mp4a|flac|opus)/;
const REQUEST_TYPES = ['webrtc', 'mse', 'hls', 'mp4'];

const CONNECT_TIMEOUT = 10_000; // WebSocket must open within this
const START_TIMEOUT = { webrtc: 5000, mse: 10_000, hls: 20_000, mp4: 20_000 }; // first frame within this
const STALL_TIMEOUT = { webrtc: 5000, mse: 5000, hls: 10_000, mp4: 20_000 }; // no new frame for this = stalled
const BACKOFF_MIN = 1000;
const BACKOFF_MAX = 15_000;
const MAX_QUEUE_BYTES = 8 * 1024 * 1024; // MSE data waiting for the SourceBuffer
const KEEP_BEHIND = 10; // seconds of played media kept in the buffer
const MAX_LAG = 1; // seconds behind the live edge before playing faster
const JUMP_LAG = 3; // seconds behind the live edge before seeking
const CATCH_UP_RATE = 1.1;

const STYLE = `
:host { display: block; position: relative; overflow: hidden; background: #000; }
:host([hidden]) { display: none; }
video { display: block; width: 100%; height: 100%; object-fit: contain; background: #000; }
.msg { position: absolute; left: 6px; bottom: 6px; max-width: calc(100% - 12px); padding: 2px 6px;
  border-radius: 3px; background: rgba(0, 0, 0, .6); color: #fff; font: 12px/1.4 system-ui, sans-serif;
  overflow-wrap: anywhere; pointer-events: none; }
.msg:empty { display: none; }`;

const hasFrameCallback = 'requestVideoFrameCallback' in HTMLVideoElement.prototype;

/** 'webrtc/tcp' → 'webrtc' */
const kindOf = (mode) => mode.split('/')[0];

/** ws(s) URL from ws(s), http(s) or a path relative to the page. */
function toWebSocketURL(value) {
	if (!value) return '';
	try {
		const url = new URL(String(value), location.href);
		if (url.protocol === 'http:') url.protocol = 'ws:';
		else if (url.protocol === 'https:') url.protocol = 'wss:';
		return url.href;
	} catch {
		return String(value); // the WebSocket constructor's error ends up in the overlay
	}
}

/**
 * What to give the HLS engine for the server's master playlist: the first variant's URL
 * (hls.js starts faster and low-latency works best on a media playlist), or, when the
 * master has alternative renditions (separate audio…), the whole playlist as a data URL
 * with every URI made absolute.
 */
function hlsSource(playlist, base) {
	const abs = (uri) => new URL(uri, base).href;
	const lines = playlist.split(/\r?\n/).map((line) => line.trim());
	const renditions = lines.some((line) => line.startsWith('#EXT-X-MEDIA:') && line.includes('URI='));
	const inf = lines.findIndex((line) => line.startsWith('#EXT-X-STREAM-INF'));
	const variant = inf >= 0 ? lines.slice(inf + 1).find((line) => line && !line.startsWith('#')) : null;
	if (variant && !renditions) return abs(variant);
	const text = lines
		.map((line) => (line && !line.startsWith('#') ? abs(line) : line.replace(/URI="([^"]+)"/, (_, uri) => `URI="${abs(uri)}"`)))
		.join('\n');
	return 'data:application/vnd.apple.mpegurl,' + encodeURIComponent(text);
}

let hlsJs = null; // one load of hls.js per page, shared by all players
/** hls.js (UMD build, defines window.Hls) from the server that served this module. */
function loadHlsJs() {
	if (window.Hls) return Promise.resolve(window.Hls);
	hlsJs ??= new Promise((resolve, reject) => {
		const script = document.createElement('script');
		script.src = new URL('/hls.js', import.meta.url).href;
		script.onload = () => (window.Hls ? resolve(window.Hls) : reject(new Error('/hls.js did not define window.Hls')));
		script.onerror = () => {
			script.remove();
			reject(new Error(`cannot load ${script.src}`));
		};
		document.head.append(script);
	}).catch((error) => {
		hlsJs = null; // try again on the next attempt
		throw error;
	});
	return hlsJs;
}

function concat(chunks) {
	if (chunks.length === 1) return chunks[0];
	const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
	let at = 0;
	for (const chunk of chunks) {
		out.set(chunk, at);
		at += chunk.byteLength;
	}
	return out;
}

export class VideoStream extends HTMLElement {
	static observedAttributes = ['src', 'mode', 'media', 'background'];

	#src = '';
	#mode = 'webrtc,mse,hls';
	#media = 'video,audio';
	#background = false;
	#iceServers = []; // none by default: the server is expected to be reachable directly

	#video;
	#message;
	#session = null; // the current connection: socket, mode and its media objects (see #connect)
	#retryTimer = 0;
	#backoff = BACKOFF_MIN;
	#preferred = ''; // the last mode that played: reconnects start with it
	#activeMode = '';
	#state = 'idle';
	#inView = !('IntersectionObserver' in window);
	#observer = null;
	#frameRequest = 0;
	#frameTimes = []; // when the frames of the last second were presented
	#lastFrameAt = 0;
	#lastTime = 0;
	#onVisibility = () => {
		if (!document.hidden) this.#lastFrameAt = performance.now(); // nothing is painted while hidden
		this.#update();
	};

	constructor() {
		super();
		const root = this.attachShadow({ mode: 'open' });
		root.innerHTML = `<style>${STYLE}</style><video muted autoplay playsinline part="video"></video><div class="msg" part="message"></div>`;
		this.#video = root.querySelector('video');
		this.#video.muted = true; // the attribute alone only sets defaultMuted
		this.#message = root.querySelector('.msg');
		this.#watchVideo();

		// Properties set on the element before this module defined it shadow our accessors.
		for (const prop of ['src', 'mode', 'media', 'background', 'iceServers']) {
			if (Object.hasOwn(this, prop)) {
				const value = this[prop];
				delete this[prop];
				this[prop] = value;
			}
		}
	}

	// ---- public API ---------------------------------------------------------------

	get src() { return this.#src; }
	set src(value) {
		const src = toWebSocketURL(value);
		if (src !== this.#src) this.#restart(() => (this.#src = src));
	}

	/** Modes to try, in order: webrtc, webrtc/tcp, mse, hls, mp4. */
	get mode() { return this.#mode; }
	set mode(value) {
		const mode = String(value || 'webrtc,mse,hls');
		if (mode !== this.#mode) this.#restart(() => (this.#mode = mode));
	}

	/** 'video,audio', 'video' or 'audio': which tracks to ask for. */
	get media() { return this.#media; }
	set media(value) {
		const media = String(value || 'video,audio');
		if (media !== this.#media) this.#restart(() => (this.#media = media));
	}

	/** Keep playing while the page is hidden or the element is off screen. */
	get background() { return this.#background; }
	set background(value) {
		this.#background = Boolean(value);
		this.#update();
	}

	/** RTCIceServer[] for WebRTC; used from the next connection on. */
	get iceServers() { return this.#iceServers; }
	set iceServers(value) { this.#iceServers = Array.isArray(value) ? value : []; }

	/** The mode on screen ('webrtc', 'mse', 'hls', 'mp4'), '' when none. */
	get activeMode() { return this.#activeMode; }
	/** idle | connecting | playing | reconnecting | error */
	get state() { return this.#state; }
	/** The inner <video> (muted; unmute it for sound). */
	get video() { return this.#video; }

	get stats() {
		const s = this.#session;
		const v = this.#video;
		const playing = Boolean(s?.playing);
		return {
			mode: this.#activeMode,
			width: v.videoWidth || s?.snapshotSize?.[0] || 0,
			height: v.videoHeight || s?.snapshotSize?.[1] || 0,
			fps: playing ? this.#currentFps(s) : 0, // null where frames can't be counted
			latency: playing ? this.#latency(s) : null // seconds behind live, an estimate
		};
	}

	// ---- lifecycle ----------------------------------------------------------------

	connectedCallback() {
		document.addEventListener('visibilitychange', this.#onVisibility);
		if ('IntersectionObserver' in window && !this.#observer) {
			this.#observer = new IntersectionObserver((entries) => {
				this.#inView = entries[entries.length - 1].isIntersecting;
				this.#update();
			});
			this.#observer.observe(this);
		}
		this.#update();
	}

	disconnectedCallback() {
		document.removeEventListener('visibilitychange', this.#onVisibility);
		this.#observer?.disconnect();
		this.#observer = null;
		// Moving the element runs disconnected+connected in one go: keep the stream then.
		queueMicrotask(() => this.#update());
	}

	attributeChangedCallback(name, previous, value) {
		if (previous === value) return;
		this[name] = name === 'background' ? value !== null && value !== 'false' : value;
	}

	#shouldRun() {
		return this.isConnected && Boolean(this.#src) && (this.#background || (!document.hidden && this.#inView));
	}

	/** Start or stop to match visibility, src and DOM presence. */
	#update() {
		if (!this.#shouldRun()) {
			if (this.#session || this.#retryTimer) this.#stop();
		} else if (!this.#session && !this.#retryTimer) {
			this.#connect(this.#startIndex(), 'connecting');
		}
	}

	/** Apply a change of src, mode or media: stop, change, start again from the first mode. */
	#restart(change) {
		if (this.#session || this.#retryTimer) this.#stop();
		change();
		this.#preferred = '';
		this.#update();
	}

	#stop() {
		this.#teardown();
		clearTimeout(this.#retryTimer);
		this.#retryTimer = 0;
		this.#backoff = BACKOFF_MIN;
		this.#showMessage('');
		this.#setActiveMode('');
		this.#setState('idle');
	}

	// ---- connection and mode selection --------------------------------------------

	#modes() {
		const supported = {
			webrtc: 'RTCPeerConnection' in window,
			mse: 'MediaSource' in window || 'ManagedMediaSource' in window,
			hls: true,
			mp4: true
		};
		const modes = this.#mode.split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
		return [...new Set(modes)].filter((m) => supported[kindOf(m)]);
	}

	#startIndex() {
		return Math.max(0, this.#modes().indexOf(this.#preferred));
	}

	/** Open a new socket and try modes[index]; state null = leave the state as it is. */
	#connect(index, state) {
		this.#teardown();
		const modes = this.#modes();
		if (!modes.length) {
			this.#showMessage(`no playable mode in "${this.#mode}"`);
			return this.#setState('error');
		}
		const s = { modes, index, mode: '', attempt: 0, playing: false, ws: null, timer: 0, ticker: 0, queue: [], queued: 0 };
		this.#session = s;
		if (state) this.#setState(state);

		let ws;
		try {
			ws = new WebSocket(this.#src);
		} catch (error) {
			return this.#reconnect(s, `bad src: ${error.message}`);
		}
		ws.binaryType = 'arraybuffer';
		ws.onopen = () => this.#startMode(s);
		ws.onmessage = (ev) => this.#onMessage(s, ev.data);
		ws.onclose = (ev) => this.#onSocketClose(s, ev.code);
		s.ws = ws;
		s.timer = setTimeout(() => this.#reconnect(s, 'connection timed out'), CONNECT_TIMEOUT);
		s.ticker = setInterval(() => this.#tick(s), 1000);
	}

	#startMode(s) {
		const mode = s.modes[s.index];
		const kind = kindOf(mode);
		const attempt = ++s.attempt;
		// Async callbacks of a mode check this: a later mode or connection makes them no-ops.
		const alive = () => this.#session === s && s.attempt === attempt;
		s.mode = mode;
		s.playing = false;
		clearTimeout(s.timer);
		s.timer = setTimeout(() => this.#modeFailed(s, `${kind}: no video after ${START_TIMEOUT[kind] / 1000} s`), START_TIMEOUT[kind]);
		try {
			if (kind === 'webrtc') this.#startWebRTC(s, alive);
			else if (kind === 'mse') this.#startMSE(s, alive);
			else if (kind === 'hls') this.#startHLS(s, alive);
			else this.#startMP4(s, alive);
		} catch (error) {
			this.#modeFailed(s, `${kind}: ${error.message}`);
		}
	}

	#onMessage(s, data) {
		if (s !== this.#session) return;
		if (typeof data !== 'string') return s.onBinary?.(data);
		let msg;
		try {
			msg = JSON.parse(data);
		} catch {
			return console.warn('video-stream: not JSON:', data);
		}
		if (msg?.type === 'error') this.#onServerError(s, String(msg.value ?? ''));
		else s.onText?.(msg);
	}

	#onServerError(s, text) {
		const request = REQUEST_TYPES.find((type) => text.startsWith(type));
		// One refused candidate doesn't doom the connection; an error about an earlier mode is stale.
		if (text.startsWith('webrtc/candidate') || (request && request !== kindOf(s.mode))) {
			return console.warn('video-stream:', text);
		}
		this.#modeFailed(s, text || 'server error', true);
	}

	#onSocketClose(s, code) {
		if (s !== this.#session) return;
		s.ws = null;
		// WebRTC media flows peer to peer: a dropped socket (1006: network, a proxy's idle
		// timeout) needn't stop it, and the stall check notices if it did. A server closing
		// the socket on purpose ends the session (Vantage: 1000 "webrtc closed").
		if (code === 1006 && s.playing && s.pc?.connectionState === 'connected') return;
		if (s.mode && !s.playing) this.#modeFailed(s, `${kindOf(s.mode)}: connection closed`);
		else this.#reconnect(s, 'connection closed');
	}

	/**
	 * The current mode failed. Before it ever played: show why and try the next mode (on the
	 * same socket when the server refused the request, else on a new one). After it played:
	 * reconnect.
	 */
	#modeFailed(s, reason, sameSocket = false) {
		if (s !== this.#session) return;
		if (s.playing) return this.#reconnect(s, reason);
		console.warn('video-stream:', reason);
		this.#stopMode(s);
		this.#showMessage(reason);
		const next = s.index + 1;
		if (next >= s.modes.length) {
			this.#preferred = '';
			this.#setActiveMode('');
			return this.#reconnect(s, reason, 'error');
		}
		if (sameSocket && s.ws?.readyState === WebSocket.OPEN) {
			s.index = next;
			this.#startMode(s);
		} else {
			this.#connect(next, null);
		}
	}

	/** Drop the connection and open a new one after a growing delay. Never gives up. */
	#reconnect(s, reason, state = 'reconnecting') {
		if (s !== this.#session) return;
		this.#teardown();
		const delay = this.#backoff;
		this.#backoff = Math.min(delay * 2, BACKOFF_MAX);
		this.#showMessage(`${reason} — retrying in ${delay / 1000} s`);
		this.#setState(state, reason);
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = 0;
			if (this.#shouldRun()) this.#connect(this.#startIndex(), 'reconnecting');
		}, delay);
	}

	#onPlaying(s) {
		clearTimeout(s.timer);
		s.playing = true;
		this.#backoff = BACKOFF_MIN;
		this.#preferred = s.mode;
		this.#showMessage('');
		this.#setActiveMode(kindOf(s.mode));
		this.#setState('playing');
	}

	#teardown() {
		const s = this.#session;
		if (!s) return;
		this.#session = null;
		this.#stopMode(s);
		clearTimeout(s.timer);
		clearInterval(s.ticker);
		if (s.ws) {
			s.ws.onopen = s.ws.onmessage = s.ws.onclose = null;
			s.ws.close();
			s.ws = null;
		}
	}

	/** Release what the current mode created; the socket stays. */
	#stopMode(s) {
		s.attempt++;
		s.mode = '';
		s.playing = false;
		s.onText = s.onBinary = null;
		clearTimeout(s.timer);
		s.pc?.close();
		s.hls?.destroy();
		if (s.objectURL) URL.revokeObjectURL(s.objectURL);
		if (s.snapshot) {
			URL.revokeObjectURL(s.snapshot.src);
			s.snapshot.removeAttribute('src');
		}
		Object.assign(s, { pc: null, hls: null, ms: null, sb: null, objectURL: '', snapshot: null, queue: [], queued: 0 });
		this.#resetVideo();
	}

	#send(s, msg) {
		if (s.ws?.readyState === WebSocket.OPEN) s.ws.send(JSON.stringify(msg));
	}

	/** Codecs of the configured media that the browser can play, comma separated. */
	#codecs(isSupported) {
		return CODECS.filter((c) => this.#media.includes(AUDIO_CODEC.test(c) ? 'audio' : 'video'))
			.filter((c) => isSupported(`video/mp4; codecs="${c}"`))
			.join(',');
	}

	// ---- WebRTC -------------------------------------------------------------------

	#startWebRTC(s, alive) {
		const udpless = s.mode === 'webrtc/tcp';
		const pc = new RTCPeerConnection({ iceServers: this.#iceServers });
		s.pc = pc;
		if (this.#media.includes('video')) pc.addTransceiver('video', { direction: 'recvonly' });
		if (this.#media.includes('audio')) pc.addTransceiver('audio', { direction: 'recvonly' });

		const stream = new MediaStream();
		pc.ontrack = (ev) => {
			if (!alive()) return;
			stream.addTrack(ev.track);
			if (this.#video.srcObject !== stream) {
				this.#video.srcObject = stream;
				this.#play();
			}
		};
		pc.onicecandidate = (ev) => {
			const candidate = ev.candidate?.candidate ?? '';
			if (alive() && !(udpless && / udp /i.test(candidate))) this.#send(s, { type: 'webrtc/candidate', value: candidate });
		};
		pc.onconnectionstatechange = () => {
			// 'disconnected' may recover; if it doesn't, the stall check reconnects.
			if (alive() && pc.connectionState === 'failed') this.#modeFailed(s, 'webrtc: connection failed');
		};

		// Candidates may arrive before the answer; addIceCandidate needs the answer first.
		const early = [];
		let answered = false;
		const addCandidate = (value) => {
			if (udpless && / udp /i.test(value)) return;
			const init = value ? { candidate: value, sdpMLineIndex: 0 } : { candidate: '' }; // '' = end of candidates
			pc.addIceCandidate(init).catch((error) => console.warn('video-stream: candidate', error));
		};
		s.onText = (msg) => {
			if (msg.type === 'webrtc/answer') {
				pc.setRemoteDescription({ type: 'answer', sdp: String(msg.value) })
					.then(() => {
						answered = true;
						early.splice(0).forEach(addCandidate);
					})
					.catch((error) => alive() && this.#modeFailed(s, `webrtc/answer: ${error.message}`, true));
			} else if (msg.type === 'webrtc/candidate') {
				if (answered) addCandidate(String(msg.value ?? ''));
				else early.push(String(msg.value ?? ''));
			}
		};

		pc.createOffer()
			.then((offer) => pc.setLocalDescription(offer))
			.then(() => alive() && this.#send(s, { type: 'webrtc/offer', value: pc.localDescription.sdp }))
			.catch((error) => alive() && this.#modeFailed(s, `webrtc/offer: ${error.message}`));
	}

	/** Jitter-buffer delay plus half the round trip, from getStats deltas. */
	async #sampleWebRTC(s) {
		const report = await s.pc.getStats();
		let inbound = null;
		let pair = null;
		report.forEach((r) => {
			if (r.type === 'inbound-rtp' && r.kind === 'video') inbound = r;
			else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r;
		});
		const previous = s.inbound;
		s.inbound = inbound;
		const emitted = inbound && previous ? inbound.jitterBufferEmittedCount - previous.jitterBufferEmittedCount : 0;
		if (emitted > 0) {
			const buffer = (inbound.jitterBufferDelay - previous.jitterBufferDelay) / emitted;
			s.rtcLatency = buffer + (pair?.currentRoundTripTime ?? 0) / 2;
		}
	}

	// ---- MSE ----------------------------------------------------------------------

	#startMSE(s, alive) {
		// ManagedMediaSource (Safari 17+, iOS) lets the browser manage memory; same API otherwise.
		const Source = window.ManagedMediaSource || window.MediaSource;
		const ms = new Source();
		s.ms = ms;
		ms.addEventListener('sourceopen', () => {
			if (!alive()) return;
			if (s.objectURL) URL.revokeObjectURL(s.objectURL);
			s.objectURL = '';
			this.#send(s, { type: 'mse', value: this.#codecs((type) => Source.isTypeSupported(type)) });
		}, { once: true });

		const v = this.#video;
		if (Source === window.ManagedMediaSource) v.disableRemotePlayback = true; // required unless an AirPlay source is offered
		try {
			v.srcObject = ms; // Safari wants ManagedMediaSource here; others throw
		} catch {
			s.objectURL = URL.createObjectURL(ms);
			v.src = s.objectURL;
		}

		s.onText = (msg) => {
			if (msg.type === 'mse' && !s.sb) this.#openSourceBuffer(s, alive, String(msg.value));
		};
		s.onBinary = (data) => {
			s.queue.push(new Uint8Array(data));
			s.queued += data.byteLength;
			// Falling this far behind means the browser can't keep up: start over from a keyframe.
			if (s.queued > MAX_QUEUE_BYTES) this.#modeFailed(s, 'mse: buffer overflow, decoder too slow');
			else this.#pump(s);
		};
		this.#play();
	}

	#openSourceBuffer(s, alive, mime) {
		let sb;
		try {
			sb = s.ms.addSourceBuffer(mime);
			sb.mode = 'segments'; // timestamps come from the fragments (tfdt)
		} catch (error) {
			return this.#modeFailed(s, `mse: cannot play ${mime} (${error.message})`);
		}
		s.sb = sb;
		sb.addEventListener('updateend', () => alive() && this.#pump(s));
		sb.addEventListener('error', () => alive() && this.#modeFailed(s, 'mse: append failed'));
		this.#pump(s);
	}

	/** Append everything queued as one buffer; when idle, trim and chase the live edge. */
	#pump(s) {
		const sb = s.sb;
		if (!sb || sb.updating || s.ms.readyState !== 'open') return; // buffered throws once closed
		if (!s.queue.length) return this.#maintainBuffer(s);
		const data = concat(s.queue);
		s.queue = [];
		s.queued = 0;
		// Just before new data lands is when the buffer ahead is smallest: that is the surplus.
		const b = sb.buffered;
		if (b.length) s.minLag = Math.min(s.minLag ?? Infinity, b.end(b.length - 1) - this.#video.currentTime);
		try {
			sb.appendBuffer(data);
			this.#play();
		} catch (error) {
			if (error.name !== 'QuotaExceededError') return this.#modeFailed(s, `mse: ${error.message}`);
			// Buffer full: keep the data, evict what was played, retry on 'updateend'.
			s.queue.unshift(data);
			s.queued += data.byteLength;
			this.#trim(sb, 1);
		}
	}

	#maintainBuffer(s) {
		const sb = s.sb;
		if (!sb || sb.updating || !sb.buffered.length) return;
		const v = this.#video;
		const b = sb.buffered;
		// Trim in steps (not on every fragment): keep KEEP_BEHIND seconds behind the playhead.
		if (v.currentTime - b.start(0) > KEEP_BEHIND + 5) this.#trim(sb, KEEP_BEHIND);
		// Before the first range (stream timestamps don't start at 0) or in a gap: jump forward.
		const last = b.length - 1;
		if (v.readyState >= HTMLMediaElement.HAVE_METADATA && !v.seeking && v.currentTime < b.start(last)) {
			v.currentTime = Math.max(b.start(last), b.end(last) - MAX_LAG / 2);
		}
	}

	#trim(sb, keep) {
		const start = sb.buffered.length ? sb.buffered.start(0) : 0;
		const end = this.#video.currentTime - keep;
		if (end > start && !sb.updating) sb.remove(start, end);
	}

	/**
	 * Live, not smooth. Once a second, from the smallest lag seen just before appends (so that
	 * big fragments arriving don't look like latency): play a little faster when more than
	 * MAX_LAG behind, seek when more than JUMP_LAG behind.
	 */
	#chaseLiveEdge(s) {
		const v = this.#video;
		const surplus = s.minLag ?? Infinity;
		s.minLag = Infinity;
		if (!Number.isFinite(surplus) || v.seeking || v.readyState < HTMLMediaElement.HAVE_METADATA) return;
		if (surplus > JUMP_LAG) {
			v.currentTime += surplus - MAX_LAG / 2;
			v.playbackRate = 1;
		} else if (surplus > MAX_LAG) {
			v.playbackRate = CATCH_UP_RATE;
		} else if (surplus < MAX_LAG / 2) {
			v.playbackRate = 1;
		}
	}

	// ---- HLS ----------------------------------------------------------------------

	#startHLS(s, alive) {
		s.onText = (msg) => {
			if (msg.type !== 'hls' || s.hlsStarted) return;
			s.hlsStarted = true;
			this.#playHLS(s, alive, String(msg.value)).catch((error) => alive() && this.#modeFailed(s, `hls: ${error.message}`));
		};
		this.#send(s, { type: 'hls', value: this.#codecs((type) => this.#video.canPlayType(type) !== '') });
	}

	async #playHLS(s, alive, playlist) {
		const v = this.#video;
		const base = this.#src.replace(/^ws/, 'http'); // for relative URIs, if the server sends any
		const source = hlsSource(playlist, base);
		// hls.js wherever MSE exists: it loads LL-HLS parts, while native players (Chromium's
		// says it plays HLS) fetch whole segments and lag seconds behind. Native only without MSE (older iPhones).
		const mse = 'MediaSource' in window || 'ManagedMediaSource' in window;
		if (!mse && v.canPlayType('application/vnd.apple.mpegurl')) {
			v.src = source;
			return this.#play();
		}
		const Hls = await loadHlsJs();
		if (!alive()) return;
		if (!Hls.isSupported()) throw new Error('not supported by this browser');
		const hls = new Hls({ lowLatencyMode: true, backBufferLength: KEEP_BEHIND, maxLiveSyncPlaybackRate: 1.5 });
		s.hls = hls;
		hls.on(Hls.Events.ERROR, (_, data) => {
			if (data.fatal && alive()) this.#modeFailed(s, `hls: ${data.details}`);
		});
		hls.loadSource(source);
		hls.attachMedia(v);
		this.#play();
	}

	// ---- MP4 snapshots ------------------------------------------------------------

	/** Each binary frame is a small MP4 holding one keyframe: decode it off screen, show it as the poster. */
	#startMP4(s, alive) {
		const snapshot = document.createElement('video');
		snapshot.muted = true;
		snapshot.playsInline = true;
		snapshot.preload = 'auto';
		const canvas = document.createElement('canvas');
		s.snapshot = snapshot;
		snapshot.addEventListener('loadeddata', () => {
			if (!alive()) return;
			canvas.width = snapshot.videoWidth;
			canvas.height = snapshot.videoHeight;
			canvas.getContext('2d').drawImage(snapshot, 0, 0);
			this.#video.poster = canvas.toDataURL('image/jpeg', 0.85);
			s.snapshotSize = [canvas.width, canvas.height];
			URL.revokeObjectURL(snapshot.src);
			this.#progress(true);
		});
		s.onBinary = (data) => {
			if (snapshot.src) URL.revokeObjectURL(snapshot.src);
			snapshot.src = URL.createObjectURL(new Blob([data], { type: 'video/mp4' }));
		};
		this.#send(s, { type: 'mp4', value: this.#codecs((type) => this.#video.canPlayType(type) !== '') });
	}

	// ---- the inner <video>: progress, stalls, stats -----------------------------------

	#watchVideo() {
		const v = this.#video;
		this.#armFrameCallback();
		// Without frame callbacks (or while hidden, when none fire) the playhead moving is the signal.
		v.addEventListener('timeupdate', () => {
			if ((hasFrameCallback && !document.hidden) || v.paused || v.currentTime === this.#lastTime) return;
			this.#lastTime = v.currentTime;
			this.#progress();
		});
		v.addEventListener('error', () => {
			const s = this.#session;
			if (s?.mode && v.error) this.#modeFailed(s, `${kindOf(s.mode)}: video error ${v.error.code} ${v.error.message || ''}`.trim());
		});
	}

	#armFrameCallback() {
		if (!hasFrameCallback) return;
		const v = this.#video;
		if (this.#frameRequest) v.cancelVideoFrameCallback(this.#frameRequest);
		this.#frameRequest = v.requestVideoFrameCallback(() => {
			this.#frameRequest = 0;
			this.#progress(true);
			this.#armFrameCallback();
		});
	}

	/** The picture moved on; `frame`: one new frame was presented (counted for fps). */
	#progress(frame = false) {
		const now = performance.now();
		this.#lastFrameAt = now;
		if (frame) {
			this.#frameTimes.push(now);
			if (this.#frameTimes.length > 240) this.#frameTimes.splice(0, 120);
		}
		const s = this.#session;
		if (s?.mode && !s.playing) this.#onPlaying(s);
	}

	#resetVideo() {
		const v = this.#video;
		v.srcObject = null;
		v.removeAttribute('src');
		v.load();
		v.playbackRate = 1;
		this.#lastTime = 0;
		this.#armFrameCallback(); // a pending callback may belong to the old source
	}

	#play() {
		if (this.#video.paused) this.#video.play()?.catch(() => {}); // muted autoplay; plays once data arrives
	}

	#currentFps(s) {
		if (!hasFrameCallback && !s.snapshot) return null;
		const since = performance.now() - 1000;
		return this.#frameTimes.filter((t) => t > since).length;
	}

	/** Once a second: stall detection, buffer upkeep, WebRTC latency samples. */
	#tick(s) {
		if (s !== this.#session || !s.playing) return;
		const kind = kindOf(s.mode);
		// Hidden pages (background = true) paint no frames: only judge stalls while visible.
		const stalled = !document.hidden && performance.now() - this.#lastFrameAt > STALL_TIMEOUT[kind];
		if (stalled) return this.#reconnect(s, `${kind}: stalled`);
		if (s.sb) this.#chaseLiveEdge(s);
		if (s.pc) this.#sampleWebRTC(s).catch(() => {});
	}

	#latency(s) {
		const v = this.#video;
		if (s.pc) return s.rtcLatency === undefined ? null : round(s.rtcLatency);
		if (s.hls && Number.isFinite(s.hls.latency)) return round(s.hls.latency);
		const ranges = s.sb && s.ms.readyState === 'open' ? s.sb.buffered : v.seekable.length ? v.seekable : v.buffered;
		return ranges.length ? round(Math.max(0, ranges.end(ranges.length - 1) - v.currentTime)) : null;
	}

	// ---- UI and events --------------------------------------------------------------

	#showMessage(text) {
		this.#message.textContent = text;
	}

	#setState(state, message = '') {
		if (state === this.#state) return;
		this.#state = state;
		this.dispatchEvent(new CustomEvent('statechange', { bubbles: true, detail: { state, message } }));
	}

	#setActiveMode(mode) {
		const previous = this.#activeMode;
		if (mode === previous) return;
		this.#activeMode = mode;
		this.dispatchEvent(new CustomEvent('modechange', { bubbles: true, detail: { mode, previous } }));
	}
}

const round = (seconds) => Math.round(seconds * 1000) / 1000;

if (!customElements.get('video-stream')) customElements.define('video-stream', VideoStream);

// Who may read over RTSP. Three ways in:
//  - the fixed RTSP_USERNAME / RTSP_PASSWORD: every camera; Digest or Basic;
//  - a platform user: the cameras they may see; Basic only, since their
//    password is kept as an Argon2 hash and Digest needs the password (or an
//    MD5 of it) on the server;
//  - nobody, when RTSP_ANONYMOUS=true: every enabled camera.
// A 401 offers Digest (only when fixed credentials are configured) and Basic.
// Clients that can do both pick Digest: ffmpeg and live555 (VLC) then can't
// log a platform user in, so a URL may ask for Basic alone (?auth=basic);
// GStreamer, answered a Digest try for a platform user with a Basic-only
// challenge, retries with Basic by itself.
import {
	NonceIssuer,
	basicChallenge,
	digestChallenge,
	parseAuthorization,
	safeEqual,
	verifyDigest,
	type RtspRequest
} from '../media/rtsp';
import { RtspStatusError, type RtspBackend, type Viewer } from './backend';
import type { RtspOptions } from './options';

export class RtspAuth {
	private nonces = new NonceIssuer();

	constructor(
		private readonly opts: RtspOptions,
		private readonly backend: RtspBackend
	) {}

	private get fixed() {
		return this.opts.username && this.opts.password ? { username: this.opts.username, password: this.opts.password } : undefined;
	}

	/** The WWW-Authenticate values of a 401: Digest first (fixed credentials only, unless basicOnly), then Basic. */
	challenges(opts: { stale?: boolean; basicOnly?: boolean } = {}): string[] {
		const out: string[] = [];
		if (this.fixed && !opts.basicOnly) out.push(digestChallenge(this.opts.realm, this.nonces.issue(), opts.stale));
		out.push(basicChallenge(this.opts.realm));
		return out;
	}

	private unauthorized(message: string, opts: { stale?: boolean; basicOnly?: boolean } = {}): RtspStatusError {
		return new RtspStatusError(401, message, { 'WWW-Authenticate': this.challenges(opts) });
	}

	/**
	 * The viewer a request speaks for; RtspStatusError 401 with the challenges
	 * otherwise. `cache` (per connection) keeps verified Basic credentials, so
	 * a platform user's password is hashed once per connection, not per request.
	 * Several Authorization headers (GStreamer adds one per retry, the failed
	 * Digest first) are tried in turn, newest first.
	 */
	async authenticate(req: RtspRequest, address: string, cache: Map<string, Viewer>, basicOnly = false): Promise<Viewer> {
		const headers = [...new Set(req.headers.getAll('authorization'))].reverse().slice(0, 4);
		if (!headers.length) {
			if (this.opts.anonymous) return { kind: 'anonymous' };
			throw this.unauthorized('authentication required', { basicOnly });
		}
		let failure: unknown;
		for (const header of headers) {
			try {
				return await this.check(header, req.method, address, cache, basicOnly);
			} catch (e) {
				failure ??= e;
			}
		}
		throw failure;
	}

	private async check(header: string, method: string, address: string, cache: Map<string, Viewer>, basicOnly: boolean): Promise<Viewer> {
		const known = cache.get(header);
		if (known) return known;
		const auth = parseAuthorization(header);
		if (!auth) throw this.unauthorized('malformed Authorization header', { basicOnly });
		const fixed = this.fixed;
		if (auth.scheme === 'digest') {
			// Not the fixed account: a platform user, whom only Basic can check. Say so with a Basic-only challenge.
			if (!fixed || auth.username !== fixed.username) throw this.unauthorized('Digest is only for the RTSP_USERNAME account: use Basic', { basicOnly: true });
			const nonce = this.nonces.check(auth.params.nonce);
			if (nonce === 'invalid') throw this.unauthorized('unknown nonce');
			const ok = verifyDigest(auth.params, { realm: this.opts.realm, username: fixed.username, password: fixed.password, method });
			if (!ok) throw this.unauthorized('invalid username or password');
			if (nonce === 'stale') throw this.unauthorized('nonce expired', { stale: true });
			return { kind: 'fixed', username: fixed.username };
		}
		let viewer: Viewer;
		if (fixed && safeEqual(auth.username, fixed.username) && safeEqual(auth.password, fixed.password)) viewer = { kind: 'fixed', username: fixed.username };
		else {
			try {
				viewer = await this.backend.checkUser(auth.username, auth.password, address);
			} catch (e) {
				if (e instanceof RtspStatusError && e.status === 401) throw this.unauthorized(e.message, { basicOnly });
				throw e;
			}
		}
		if (cache.size < 8) cache.set(header, viewer);
		return viewer;
	}
}

// Login throttling, in memory: failed attempts per (address, username) and per
// address, each in a fixed window. Successful logins are not throttled. Enough
// for one process; a scaled-out deployment puts its proxy's limiter in front.

interface Window {
	count: number;
	resetAt: number;
}

export class FixedWindowLimiter {
	private windows = new Map<string, Window>();
	constructor(
		private readonly limit: number,
		private readonly windowMs: number
	) {}

	/** Seconds until `key` may try again, or 0 when it is under the limit. */
	retryAfter(key: string, now = Date.now()): number {
		const w = this.windows.get(key);
		if (!w || now >= w.resetAt) return 0;
		return w.count >= this.limit ? Math.ceil((w.resetAt - now) / 1000) : 0;
	}

	hit(key: string, now = Date.now()) {
		const w = this.windows.get(key);
		if (!w || now >= w.resetAt) this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
		else w.count++;
		if (this.windows.size > 10_000) this.sweep(now);
	}

	reset(key: string) {
		this.windows.delete(key);
	}

	private sweep(now: number) {
		for (const [k, w] of this.windows) if (now >= w.resetAt) this.windows.delete(k);
	}
}

const perUser = new FixedWindowLimiter(5, 15 * 60 * 1000);
const perAddress = new FixedWindowLimiter(30, 15 * 60 * 1000);
const userKey = (address: string, username: string) => `${address}\n${username.toLowerCase()}`;

export const loginLimiter = {
	/** Seconds to wait before another login attempt is allowed, or 0. */
	check(address: string, username: string): number {
		return Math.max(perAddress.retryAfter(address), perUser.retryAfter(userKey(address, username)));
	},
	failed(address: string, username: string) {
		perAddress.hit(address);
		perUser.hit(userKey(address, username));
	},
	succeeded(address: string, username: string) {
		perUser.reset(userKey(address, username));
	}
};

// The RTSP server's settings, from the environment (see README.md here).

export interface RtspOptions {
	/** Fixed credentials (RTSP_USERNAME / RTSP_PASSWORD): every camera, Digest or Basic. */
	username?: string;
	password?: string;
	/** RTSP_ANONYMOUS=true: no credentials needed to read (every enabled camera). */
	anonymous: boolean;
	realm: string;
	/** Server ports for RTP/RTCP over UDP (RTSP_UDP_PORTS, "min-max"); null: TCP only. */
	udpPorts: [number, number] | null;
	/** A session without any request (UDP: nor RTCP) for this long ends (TCP play sessions excepted). */
	sessionTimeoutMs: number;
	/** A publisher that sends no RTP for this long is dropped. */
	publishTimeoutMs: number;
	/** A connection with no session and no request for this long is closed. */
	idleTimeoutMs: number;
	maxConnections: number;
	/** Largest RTP payload sent (the packet fits a 1500-byte MTU). */
	maxPayload: number;
}

export const DEFAULT_OPTIONS: RtspOptions = {
	anonymous: false,
	realm: 'Vantage',
	udpPorts: [8000, 8999],
	sessionTimeoutMs: 60_000,
	publishTimeoutMs: 10_000,
	idleTimeoutMs: 30_000,
	maxConnections: 1000,
	maxPayload: 1400
};

function portRange(raw: string | undefined): [number, number] | null {
	if (raw === undefined || raw === '') return DEFAULT_OPTIONS.udpPorts;
	if (/^(off|none|false|0)$/i.test(raw)) return null;
	const m = /^(\d+)-(\d+)$/.exec(raw.trim());
	const [a, b] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
	if (!(a >= 1024 && b <= 65535 && b - a >= 1)) throw new Error(`RTSP_UDP_PORTS must be "min-max" (1024-65535, at least two ports) or "off", got "${raw}"`);
	return [a, b];
}

export function optionsFromEnv(env: Record<string, string | undefined> = process.env): RtspOptions {
	const username = env.RTSP_USERNAME || undefined;
	const password = env.RTSP_PASSWORD || undefined;
	if (!!username !== !!password) throw new Error('RTSP_USERNAME and RTSP_PASSWORD must be set together');
	return {
		...DEFAULT_OPTIONS,
		username,
		password,
		anonymous: /^(1|true|yes|on)$/i.test(env.RTSP_ANONYMOUS ?? ''),
		udpPorts: portRange(env.RTSP_UDP_PORTS)
	};
}

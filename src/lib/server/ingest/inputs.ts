// How ffmpeg opens each kind of source, by URL scheme. Adding a source kind is
// adding an entry here. Timeouts make a dead camera fail fast, so the
// supervisor's backoff (not a hung socket) decides when to try again.
import { existsSync } from 'node:fs';

export interface InputSpec {
	/** ffmpeg input (URL, path or lavfi graph). */
	input: string;
	/** Options placed before -i. */
	options: string[];
	/** The source is generated, not a camera: it must be encoded. */
	encode?: boolean;
}

type InputBuilder = (url: URL, source: string) => InputSpec;

const builders: Record<string, InputBuilder> = {
	rtsp: (_u, source) => ({ input: source, options: ['-rtsp_transport', 'tcp', '-timeout', '5000000'] }),
	rtsps: (_u, source) => ({ input: source, options: ['-rtsp_transport', 'tcp', '-timeout', '5000000'] }),
	rtmp: (_u, source) => ({ input: source, options: ['-rw_timeout', '5000000'] }),
	http: (_u, source) => ({ input: source, options: ['-rw_timeout', '5000000'] }),
	https: (_u, source) => ({ input: source, options: ['-rw_timeout', '5000000'] }),
	// A file on the server, played in a loop at its own pace.
	file: (u) => ({ input: decodeURIComponent(u.pathname), options: ['-re', '-stream_loop', '-1'] }),
	// The demo camera: a test pattern with a running clock.
	demo: () => ({ input: demoGraph(), options: ['-re', '-f', 'lavfi'], encode: true })
};

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

function demoGraph(): string {
	const base = 'testsrc2=size=1280x720:rate=30';
	if (!existsSync(FONT)) return base;
	const clock = `drawtext=fontfile=${FONT}:text='%{localtime\\:%H\\\\\\:%M\\\\\\:%S}':fontsize=64:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h-th-40`;
	return `${base},${clock}`;
}

export const DEMO_SOURCE = 'demo://testpattern';

/** ffmpeg input for a camera source, or null for sources nothing pulls (push). */
export function inputFor(source: string): InputSpec | null {
	if (source === 'push') return null;
	const url = new URL(source);
	const builder = builders[url.protocol.slice(0, -1)];
	if (!builder) throw new Error(`no ingest for scheme ${url.protocol}`);
	return builder(url, source);
}

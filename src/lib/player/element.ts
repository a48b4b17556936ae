/** The public face of <video-stream> (src/lib/player/video-stream.js) for the app's TypeScript. */
export interface VideoStreamElement extends HTMLElement {
	src: string;
	mode: string;
	background: boolean;
	readonly state: 'idle' | 'connecting' | 'playing' | 'reconnecting' | 'error';
	readonly activeMode: string;
	readonly video: HTMLVideoElement;
	readonly stats: { mode: string; width: number; height: number; fps: number | null; latency: number | null };
}

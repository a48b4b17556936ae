// Camera statuses that follow the server's socket.io "camera:status" pushes
// (the socket authenticates with the session cookie and reconnects by itself).
import { io, type Socket } from 'socket.io-client';
import type { LiveStatus } from './status';

export class LiveStatuses {
	byId: Record<string, LiveStatus> = $state({});
	connected = $state(false);
	#socket: Socket | undefined;

	constructor(initial: Record<string, LiveStatus>) {
		this.byId = { ...initial };
	}

	/** Starts listening (in the browser only); returns the stop function for onMount/$effect. */
	listen(): () => void {
		const socket = io({ transports: ['websocket', 'polling'] });
		this.#socket = socket;
		socket.on('connect', () => (this.connected = true));
		socket.on('disconnect', () => (this.connected = false));
		socket.on('camera:status', ({ id, ...status }: LiveStatus & { id: string }) => {
			// A disabled camera's enabled flag comes from the page; the push only carries the stream state.
			this.byId[id] = { ...status, enabled: this.byId[id]?.enabled ?? true };
		});
		return () => {
			socket.removeAllListeners();
			socket.disconnect();
			this.#socket = undefined;
		};
	}
}

// The camera a media request is for: signed in, granted, enabled, with a live stream.
import type { RequestEvent } from '@sveltejs/kit';
import { ApiError } from '../http/api';
import { requireUser, type Principal } from '../auth/principal';
import { visibleCamera, type Camera } from '../cameras/cameras';
import { live } from '../hub/live';
import type { CameraStream } from '../hub/stream';

export async function liveCamera(
	auth: Awaited<ReturnType<App.Locals['auth']>>,
	id: string | null
): Promise<{ user: Principal; camera: Camera; stream: CameraStream }> {
	const user = requireUser(auth);
	const camera = await visibleCamera(user, id);
	if (!camera.enabled) throw new ApiError(503, 'camera is disabled');
	const stream = live.stream(camera.id);
	if (!stream) throw new ApiError(503, 'camera is not available yet');
	return { user, camera, stream };
}

export const liveCameraFor = async (event: RequestEvent) => liveCamera(await event.locals.auth(), event.url.searchParams.get('id'));

/** Why there is no picture, in words fit for any user (no source details). */
export function offlineError(stream: CameraStream): ApiError {
	const state = stream.status.state;
	return new ApiError(503, state === 'starting' ? 'camera is starting: try again' : 'camera is offline');
}

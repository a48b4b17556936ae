import type { PageServerLoad } from './$types';
import { pageAdmin } from '$lib/server/auth/page-guard';
import { visibleCameras } from '$lib/server/cameras/cameras';
import { pageStatuses } from '$lib/server/cameras/page-status';
import { redactSource } from '$lib/server/cameras/source';
import { config } from '$lib/server/config';

export const load: PageServerLoad = async ({ locals, url }) => {
	const admin = await pageAdmin(locals, url);
	const cameras = await visibleCameras(admin);
	return {
		cameras: cameras.map((c) => ({ id: c.id, name: c.name, label: c.label, lat: c.lat, lon: c.lon, enabled: c.enabled, keepalive: c.keepalive, source: redactSource(c.source) })),
		statuses: pageStatuses(cameras),
		tiles: { url: config.tileUrl, attribution: config.tileAttribution }
	};
};

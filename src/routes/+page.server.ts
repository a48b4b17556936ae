import type { PageServerLoad } from './$types';
import { pageUser } from '$lib/server/auth/page-guard';
import { visibleCameras } from '$lib/server/cameras/cameras';
import { pageStatuses } from '$lib/server/cameras/page-status';
import { config } from '$lib/server/config';

// The map: cameras come from GET /api/cameras?format=geojson in the browser;
// the page brings their current statuses and the tile configuration.
export const load: PageServerLoad = async ({ locals, url }) => {
	const user = await pageUser(locals, url);
	return {
		statuses: pageStatuses(await visibleCameras(user)),
		tiles: { url: config.tileUrl, attribution: config.tileAttribution }
	};
};

import type { PageServerLoad } from './$types';
import { pageUser } from '$lib/server/auth/page-guard';
import { visibleCameras } from '$lib/server/cameras/cameras';
import { pageStatuses } from '$lib/server/cameras/page-status';
import { listLayouts } from '$lib/server/layouts/layouts';
import { GRID_SIZES, sizeFor, type GridSize } from '$lib/grid';

const MIN_CYCLE = 5;

/**
 * /kiosk?layout=<id or name>[,<id or name>…] or ?cameras=<id>,<id>…, optional cycle=<seconds>
 * (a tour: the pages take turns) and, for cameras, size=<1|4|9|16> tiles per page.
 */
export const load: PageServerLoad = async ({ locals, url, setHeaders }) => {
	const user = await pageUser(locals, url);
	setHeaders({ 'cache-control': 'no-store' });
	const cameras = await visibleCameras(user);
	const visible = new Set(cameras.map((c) => c.id));
	const list = (name: string) => (url.searchParams.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
	const cycleParam = Number(url.searchParams.get('cycle'));
	const cycle = Number.isFinite(cycleParam) && cycleParam > 0 ? Math.max(MIN_CYCLE, cycleParam) : 0;

	let pages: { size: number; cameras: (string | null)[] }[] = [];
	const problems: string[] = [];
	const wantedLayouts = list('layout');
	if (wantedLayouts.length) {
		const layouts = await listLayouts(user);
		for (const wanted of wantedLayouts) {
			const layout = layouts.find((l) => l.id === wanted) ?? layouts.find((l) => l.name === wanted);
			if (layout) pages.push({ size: layout.size, cameras: layout.cameras });
			else problems.push(wanted);
		}
	} else {
		const ids = list('cameras').filter((id) => visible.has(id));
		const sizeParam = Number(url.searchParams.get('size'));
		// A tour shows one camera at a time unless told otherwise; a fixed wall fits them all (16 at most).
		const size: GridSize = GRID_SIZES.includes(sizeParam as GridSize) ? (sizeParam as GridSize) : cycle ? 1 : sizeFor(ids.length);
		for (let i = 0; i < ids.length; i += size) pages.push({ size, cameras: Array.from({ length: size }, (_, j) => ids[i + j] ?? null) });
		if (!cycle) pages = pages.slice(0, 1);
	}

	return {
		pages,
		cycle,
		problems,
		labels: Object.fromEntries(cameras.map((c) => [c.id, c.label])),
		statuses: pageStatuses(cameras)
	};
};

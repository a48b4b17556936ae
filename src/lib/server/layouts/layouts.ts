// Saved grid layouts, per user: a name, a size (1, 4, 9 or 16 tiles) and one
// camera id or null per tile. Users see and change only their own layouts, and
// place only cameras they may see.
import { randomBytes } from 'node:crypto';
import { db } from '../db/client';
import { ApiError, badRequest, notFound } from '../http/api';
import type { Principal } from '../auth/principal';
import { visibleCameras } from '../cameras/cameras';

export const LAYOUT_SIZES = [1, 4, 9, 16] as const;
export const LAYOUT_FIELDS = ['name', 'size', 'cameras'] as const;
export const LAYOUT_ID = /^[0-9a-f]{12}$/;

type LayoutRow = { id: string; name: string; size: number; cameras: string; createdAt: Date; updatedAt: Date };

export interface LayoutInput {
	name?: unknown;
	size?: unknown;
	cameras?: unknown;
}

/** The API shape; cameras the user may no longer see (deleted, rights taken away) show as empty tiles. */
export function layoutView(l: LayoutRow, visible: Set<string>) {
	const cameras = (JSON.parse(l.cameras) as (string | null)[]).map((id) => (id && visible.has(id) ? id : null));
	return { id: l.id, name: l.name, size: l.size, cameras, createdAt: l.createdAt.toISOString(), updatedAt: l.updatedAt.toISOString() };
}

export const visibleIds = async (user: Principal) => new Set((await visibleCameras(user)).map((c) => c.id));

async function validate(user: Principal, input: LayoutInput) {
	if (typeof input.name !== 'string' || input.name.trim() === '') throw badRequest('name is required');
	const name = input.name.trim();
	if (name.length > 64) throw badRequest('name must be at most 64 characters');
	if (!LAYOUT_SIZES.includes(input.size as (typeof LAYOUT_SIZES)[number])) throw badRequest('size must be 1, 4, 9 or 16');
	const size = input.size as number;
	if (!Array.isArray(input.cameras)) throw badRequest('cameras must be an array of camera ids or null, one per tile');
	if (input.cameras.length !== size) throw badRequest(`cameras must have ${size} entries, one per tile`);
	const visible = await visibleIds(user);
	for (const id of input.cameras) {
		if (id === null) continue;
		if (typeof id !== 'string') throw badRequest('cameras must be an array of camera ids or null, one per tile');
		if (!visible.has(id)) throw badRequest(`unknown camera id: ${id}`);
	}
	return { data: { name, size, cameras: JSON.stringify(input.cameras) }, visible };
}

async function assertNameFree(user: Principal, name: string, exceptId?: string) {
	const other = await db.layout.findUnique({ where: { userId_name: { userId: user.id, name } } });
	if (other && other.id !== exceptId) throw new ApiError(409, `a layout named "${name}" already exists`);
}

export async function listLayouts(user: Principal) {
	const visible = await visibleIds(user);
	const rows = await db.layout.findMany({ where: { userId: user.id }, orderBy: [{ name: 'asc' }, { id: 'asc' }] });
	return rows.map((l) => layoutView(l, visible));
}

/** One of the user's own layouts; anyone else's is 404, as if it did not exist. */
export async function getLayout(user: Principal, id: string) {
	const row = LAYOUT_ID.test(id) ? await db.layout.findFirst({ where: { id, userId: user.id } }) : null;
	if (!row) throw notFound('layout not found');
	return row;
}

export async function createLayout(user: Principal, input: LayoutInput) {
	const { data, visible } = await validate(user, input);
	await assertNameFree(user, data.name);
	const row = await db.layout.create({ data: { ...data, id: randomBytes(6).toString('hex'), userId: user.id } });
	return layoutView(row, visible);
}

export async function replaceLayout(user: Principal, id: string, input: LayoutInput) {
	await getLayout(user, id);
	const { data, visible } = await validate(user, input);
	await assertNameFree(user, data.name, id);
	return layoutView(await db.layout.update({ where: { id }, data }), visible);
}

export async function deleteLayout(user: Principal, id: string) {
	await getLayout(user, id);
	await db.layout.delete({ where: { id } });
}

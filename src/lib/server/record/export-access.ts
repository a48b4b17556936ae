// An export is seen by the user who asked for it, and by admins; to anyone else it does not exist.
import { db } from '../db/client';
import { notFound } from '../http/api';
import type { Principal } from '../auth/principal';

export async function visibleExport(user: Principal, id: string) {
	const e = /^[0-9a-f-]{36}$/.test(id) ? await db.export.findUnique({ where: { id } }) : null;
	if (!e || (e.userId !== user.id && user.role !== 'admin')) throw notFound('export not found');
	return e;
}

// Users and their camera rights. `cameras` is "*" (every camera, also ones
// added later) or a list of camera ids; admins always see every camera.
import { randomUUID } from 'node:crypto';
import { db } from '../db/client';
import { ApiError, badRequest, notFound } from '../http/api';
import { hashPassword, passwordProblem } from '../auth/password';
import { ROLES, type Role } from '../auth/principal';
import { CAMERA_ID } from '../cameras/cameras';
import { pushPatternProblem } from './push-pattern';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const USER_FIELDS = ['username', 'password', 'role', 'cameras', 'push'] as const;

export interface UserInput {
	username?: unknown;
	password?: unknown;
	role?: unknown;
	cameras?: unknown;
	push?: unknown;
}

const withGrants = { grants: { select: { cameraId: true }, orderBy: { cameraId: 'asc' as const } } };
type UserWithGrants = NonNullable<Awaited<ReturnType<typeof findUser>>>;

const findUser = (username: string) => db.user.findUnique({ where: { username }, include: withGrants });

export function userView(u: UserWithGrants) {
	return {
		username: u.username,
		role: u.role,
		cameras: u.role === 'admin' || u.allCameras ? ('*' as const) : u.grants.map((g) => g.cameraId),
		push: u.pushPattern,
		createdAt: u.createdAt.toISOString()
	};
}

function pushPattern(value: unknown): string {
	const problem = pushPatternProblem(value);
	if (problem) throw badRequest(problem);
	return (value as string).trim();
}

function role(value: unknown): Role {
	if (!ROLES.includes(value as Role)) throw badRequest(`role must be one of ${ROLES.join(', ')}`);
	return value as Role;
}

/** "*" or a list of existing camera ids. */
async function cameraRights(value: unknown): Promise<{ all: boolean; ids: string[] }> {
	if (value === '*') return { all: true, ids: [] };
	if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
		throw badRequest('cameras must be "*" or an array of camera ids');
	const ids = [...new Set(value as string[])];
	const malformed = ids.filter((id) => !CAMERA_ID.test(id));
	const found = new Set(
		(await db.camera.findMany({ where: { id: { in: ids.filter((id) => CAMERA_ID.test(id)) } }, select: { id: true } })).map((c) => c.id)
	);
	const unknown = [...malformed, ...ids.filter((id) => CAMERA_ID.test(id) && !found.has(id))];
	if (unknown.length) throw badRequest(`unknown camera id${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
	return { all: false, ids };
}

export async function listUsers() {
	return (await db.user.findMany({ include: withGrants, orderBy: { username: 'asc' } })).map(userView);
}

export async function getUser(username: string) {
	const u = await findUser(username);
	if (!u) throw notFound('user not found');
	return u;
}

export async function createUser(input: UserInput) {
	if (typeof input.username !== 'string' || !USERNAME.test(input.username))
		throw badRequest('username is required: 1-64 letters, digits, "_", ".", "@" or "-", starting with a letter or digit');
	const problem = passwordProblem(input.password);
	if (problem) throw badRequest(problem);
	const r = role(input.role ?? 'viewer');
	const rights = await cameraRights(input.cameras ?? []);
	const push = pushPattern(input.push ?? '');
	if (await db.user.findUnique({ where: { username: input.username } }))
		throw badRequest(`a user named "${input.username}" already exists`);
	await db.user.create({
		data: {
			id: randomUUID(),
			username: input.username,
			passwordHash: await hashPassword(input.password as string),
			role: r,
			allCameras: rights.all,
			pushPattern: push,
			grants: { create: rights.ids.map((cameraId) => ({ cameraId })) }
		}
	});
	return getUser(input.username);
}

async function assertAnotherAdmin(exceptId: string) {
	const admins = await db.user.count({ where: { role: 'admin', id: { not: exceptId } } });
	if (admins === 0) throw new ApiError(409, 'this is the last admin: create another admin first');
}

export async function updateUser(username: string, input: UserInput) {
	const current = await getUser(username);
	if (input.username !== undefined && input.username !== username) throw badRequest('username cannot be changed');
	const data: { passwordHash?: string; role?: Role; allCameras?: boolean; pushPattern?: string; tokenVersion?: { increment: number } } = {};
	if (input.push !== undefined) data.pushPattern = pushPattern(input.push);
	if (input.password !== undefined) {
		const problem = passwordProblem(input.password);
		if (problem) throw badRequest(problem);
		data.passwordHash = await hashPassword(input.password as string);
		data.tokenVersion = { increment: 1 };
	}
	if (input.role !== undefined) {
		data.role = role(input.role);
		if (current.role === 'admin' && data.role !== 'admin') await assertAnotherAdmin(current.id);
	}
	const rights = input.cameras !== undefined ? await cameraRights(input.cameras) : undefined;
	if (rights) data.allCameras = rights.all;
	await db.$transaction([
		db.user.update({ where: { id: current.id }, data }),
		...(rights
			? [
					db.cameraGrant.deleteMany({ where: { userId: current.id } }),
					db.cameraGrant.createMany({ data: rights.ids.map((cameraId) => ({ userId: current.id, cameraId })) })
				]
			: []),
		// A new password ends the user's browser sessions too.
		...(data.passwordHash ? [db.session.deleteMany({ where: { userId: current.id } })] : [])
	]);
	return getUser(username);
}

export async function deleteUser(username: string, actingUserId: string) {
	const current = await getUser(username);
	if (current.id === actingUserId) throw new ApiError(409, 'you cannot delete yourself');
	if (current.role === 'admin') await assertAnotherAdmin(current.id);
	await db.user.delete({ where: { id: current.id } });
}

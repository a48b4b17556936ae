// Checking credentials, shared by the API login and the browser login form.
import { db } from '../db/client';
import { ApiError } from '../http/api';
import { hashPassword, passwordProblem, verifyPassword } from './password';
import { loginLimiter } from './rate-limit';
import { issueToken } from './jwt';

// Verified against when the user doesn't exist, so both cases take as long.
const decoy = hashPassword('decoy password that matches nothing');

/** The user for these credentials; 401 when wrong, 429 when this address tried too often. */
export async function checkCredentials(username: unknown, password: unknown, address: string) {
	if (typeof username !== 'string' || typeof password !== 'string' || !username || !password)
		throw new ApiError(400, 'username and password are required');
	const wait = loginLimiter.check(address, username);
	if (wait > 0) throw new ApiError(429, `too many login attempts: try again in ${wait} s`, { 'Retry-After': String(wait) });
	const user = await db.user.findUnique({ where: { username } });
	const ok = await verifyPassword(user?.passwordHash ?? (await decoy), password);
	if (!user || !ok) {
		loginLimiter.failed(address, username);
		throw new ApiError(401, 'invalid username or password');
	}
	loginLimiter.succeeded(address, username);
	return user;
}

export const tokenFor = (u: { id: string; username: string; role: string; tokenVersion: number }) =>
	issueToken({ sub: u.id, username: u.username, role: u.role, tv: u.tokenVersion });

/** Changes the caller's own password; every older token and session of theirs stops working. */
export async function changeOwnPassword(userId: string, current: unknown, next: unknown, address: string) {
	const user = await db.user.findUnique({ where: { id: userId } });
	if (!user) throw new ApiError(401, 'token revoked');
	// Guessing the current password is throttled like logging in.
	const wait = loginLimiter.check(address, user.username);
	if (wait > 0) throw new ApiError(429, `too many attempts: try again in ${wait} s`, { 'Retry-After': String(wait) });
	if (typeof current !== 'string' || !(await verifyPassword(user.passwordHash, current))) {
		loginLimiter.failed(address, user.username);
		throw new ApiError(400, 'current password is wrong');
	}
	const problem = passwordProblem(next);
	if (problem) throw new ApiError(400, problem);
	const [updated] = await db.$transaction([
		db.user.update({
			where: { id: userId },
			data: { passwordHash: await hashPassword(next as string), tokenVersion: { increment: 1 } }
		}),
		db.session.deleteMany({ where: { userId } })
	]);
	return updated;
}

import { hash, verify } from '@node-rs/argon2';

// Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
const params = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

export const hashPassword = (password: string) => hash(password, params);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}

export const MIN_PASSWORD_LENGTH = 8;

/** Why a new password is not acceptable, or null. */
export function passwordProblem(password: unknown): string | null {
	if (typeof password !== 'string') return 'password must be a string';
	if (password.length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
	if (password.length > 256) return 'password must be at most 256 characters';
	return null;
}

// API tokens: HS256 JWTs valid 24 hours. The secret is JWT_SECRET, or one
// generated on first start and kept in DATA_DIR so tokens survive restarts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, jwtVerify, errors } from 'jose';
import { config } from '../config';

export const TOKEN_TTL_SECONDS = 24 * 60 * 60;

let secret: Uint8Array | undefined;

function key(): Uint8Array {
	if (secret) return secret;
	let text = config.jwtSecret;
	if (!text) {
		const file = path.join(config.dataDir, 'jwt-secret');
		if (!existsSync(file)) {
			mkdirSync(config.dataDir, { recursive: true });
			writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
		}
		text = readFileSync(file, 'utf8').trim();
	}
	secret = new TextEncoder().encode(text);
	return secret;
}

export interface TokenClaims {
	sub: string; // user id
	username: string;
	role: string;
	tv: number; // the user's tokenVersion when issued
}

export async function issueToken(claims: TokenClaims): Promise<string> {
	return new SignJWT({ username: claims.username, role: claims.role, tv: claims.tv })
		.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
		.setSubject(claims.sub)
		.setIssuedAt()
		.setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
		.sign(key());
}

export type TokenResult = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

export async function verifyToken(token: string): Promise<TokenResult> {
	try {
		const { payload } = await jwtVerify(token, key(), { algorithms: ['HS256'] });
		if (typeof payload.sub !== 'string' || typeof payload.tv !== 'number') return { ok: false, reason: 'invalid token' };
		return {
			ok: true,
			claims: { sub: payload.sub, username: String(payload.username), role: String(payload.role), tv: payload.tv }
		};
	} catch (e) {
		return { ok: false, reason: e instanceof errors.JWTExpired ? 'token expired' : 'invalid token' };
	}
}

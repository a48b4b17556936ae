// Scratch databases for tests: a SQLite file in a temp folder, or a fresh
// PostgreSQL database on the local server (dropped afterwards).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_BASE = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export type Provider = 'sqlite' | 'postgresql';
export const PROVIDERS: Provider[] = ['sqlite', 'postgresql'];

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: POSTGRES_BASE });
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end();
	}
}

/** A new empty PostgreSQL database: its URL and a function that drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
	const name = `vantage_test_${randomBytes(5).toString('hex')}`;
	await admin((c) => c.query(`CREATE DATABASE "${name}"`));
	const url = new URL(POSTGRES_BASE);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {})
	};
}

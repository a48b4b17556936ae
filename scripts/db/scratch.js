// Throwaway PostgreSQL databases, for the migration tools and the tests.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server throwaway databases are created on (trust auth on these machines). */
export const postgresAdminUrl = () => process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** Runs one statement on its own connection. @param {string} url @param {string} sql */
export async function adminQuery(url, sql) {
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		return await client.query(sql);
	} finally {
		await client.end();
	}
}

/**
 * A new empty database named `<prefix>_<random>`, and a function that drops it.
 * @param {string} prefix
 * @returns {Promise<{ url: string, drop: () => Promise<void> }>}
 */
export async function createPostgresDatabase(prefix) {
	const admin = postgresAdminUrl();
	const name = `${prefix}_${randomBytes(6).toString('hex')}`;
	await adminQuery(admin, `CREATE DATABASE "${name}"`);
	const url = new URL(admin);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		drop: async () => void (await adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
	};
}

// Applies prisma/<provider>/migrations/*/migration.sql in order, offline, at
// start-up. The prisma CLI can't run here (it downloads its engine), so this
// keeps Prisma's own bookkeeping table, _prisma_migrations, which Prisma's
// schema engine (scripts/db/engine.js) reads and ignores when it diffs.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const TABLE = {
	sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
	postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`
};

const now = () => new Date().toISOString();

/** @param {string} dir @returns {{ name: string, sql: string, checksum: string }[]} */
export function readMigrations(dir) {
	if (!existsSync(dir)) return [];
	return readdirSync(dir, { withFileTypes: true })
		.filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
		.map((d) => d.name)
		.sort()
		.map((name) => {
			const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
			return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
		});
}

/**
 * Brings the database up to date. Refuses to run when an applied migration's
 * file changed since (its checksum differs): that database needs a human.
 * @param {ReturnType<typeof import('./url.js').parseDatabaseUrl>} target
 * @param {string} migrationsRoot folder holding sqlite/ and postgresql/ migrations (prisma/)
 * @returns {Promise<string[]>} names of the migrations applied now
 */
export async function migrate(target, migrationsRoot) {
	const migrations = readMigrations(path.join(migrationsRoot, target.provider, 'migrations'));
	const db = target.provider === 'sqlite' ? await sqliteDriver(target.file) : await pgDriver(target.url);
	try {
		await db.exec(TABLE[target.provider]);
		return await db.locked(async () => {
			const rows = await db.all(
				'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL'
			);
			const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]));
			const done = [];
			for (const m of migrations) {
				const seen = applied.get(m.name);
				if (seen && seen !== m.checksum)
					throw new Error(`migration ${m.name} was changed after it was applied to this database`);
				if (seen) continue;
				await db.transaction(async () => {
					await db.exec(m.sql);
					await db.run(
						'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ($1, $2, $3, $4, $5, 1)',
						[randomUUID(), m.checksum, m.name, now(), now()]
					);
				});
				done.push(m.name);
			}
			return done;
		});
	} finally {
		await db.close();
	}
}

/** @param {string} file */
async function sqliteDriver(file) {
	mkdirSync(path.dirname(file), { recursive: true });
	const { default: Database } = await import('better-sqlite3');
	const conn = new Database(file);
	conn.pragma('journal_mode = WAL');
	const positional = (/** @type {string} */ sql) => sql.replace(/\$\d+/g, '?');
	return {
		exec: async (/** @type {string} */ sql) => void conn.exec(sql),
		all: async (/** @type {string} */ sql) => /** @type {any[]} */ (conn.prepare(sql).all()),
		run: async (/** @type {string} */ sql, /** @type {unknown[]} */ params) => void conn.prepare(positional(sql)).run(...params),
		// One server per SQLite file: nothing to coordinate with.
		locked: async (/** @type {() => Promise<any>} */ fn) => fn(),
		transaction: async (/** @type {() => Promise<void>} */ fn) => {
			conn.exec('BEGIN IMMEDIATE');
			try {
				await fn();
				conn.exec('COMMIT');
			} catch (e) {
				conn.exec('ROLLBACK');
				throw e;
			}
		},
		close: async () => conn.close()
	};
}

/** @param {string} url */
async function pgDriver(url) {
	const { default: pg } = await import('pg');
	const conn = new pg.Client({ connectionString: url });
	await conn.connect();
	return {
		exec: async (/** @type {string} */ sql) => void (await conn.query(sql)),
		all: async (/** @type {string} */ sql) => (await conn.query(sql)).rows,
		run: async (/** @type {string} */ sql, /** @type {unknown[]} */ params) => void (await conn.query(sql, params)),
		// An advisory lock makes concurrent start-ups of several servers take turns.
		locked: async (/** @type {() => Promise<any>} */ fn) => {
			await conn.query('SELECT pg_advisory_lock(7319842)');
			try {
				return await fn();
			} finally {
				await conn.query('SELECT pg_advisory_unlock(7319842)');
			}
		},
		transaction: async (/** @type {() => Promise<void>} */ fn) => {
			await conn.query('BEGIN');
			try {
				await fn();
				await conn.query('COMMIT');
			} catch (e) {
				await conn.query('ROLLBACK');
				throw e;
			}
		},
		close: async () => conn.end()
	};
}

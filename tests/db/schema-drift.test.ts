// The committed migrations (prisma/<provider>/migrations), applied by our own
// runner, must produce exactly the models in prisma/models.prisma. Prisma's
// schema engine (scripts/db/engine.js) compares the two.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { migrate } from '../../src/lib/server/db/migrate.js';
import { parseDatabaseUrl } from '../../src/lib/server/db/url.js';
import { diffDatabaseToSchema, EMPTY_MIGRATION, isEmptyMigration } from '../../scripts/db/engine.js';
import { root } from '../../scripts/db/schemas.js';
import { createPostgresDatabase } from '../../scripts/db/scratch.js';

const prismaDir = path.join(root, 'prisma');

/** Applies the migrations twice: the second run must find nothing to do. */
async function migrateTwice(url: string) {
	const target = parseDatabaseUrl(url);
	expect((await migrate(target, prismaDir)).length).toBeGreaterThan(0);
	expect(await migrate(target, prismaDir)).toEqual([]);
}

describe('schema drift', () => {
	let dir: string;
	let pgDb: { url: string; drop: () => Promise<void> };

	beforeAll(async () => {
		dir = mkdtempSync(path.join(tmpdir(), 'vantage-drift-'));
		pgDb = await createPostgresDatabase('vantage_drift');
	});

	afterAll(async () => {
		rmSync(dir, { recursive: true, force: true });
		await pgDb?.drop();
	});

	it('sqlite: the migrations produce the models', async () => {
		const url = `file:${path.join(dir, 'clean.db')}`;
		await migrateTwice(url);
		expect((await diffDatabaseToSchema('sqlite', url)).trim()).toBe(EMPTY_MIGRATION);
	});

	it('postgresql: the migrations produce the models', async () => {
		await migrateTwice(pgDb.url);
		expect((await diffDatabaseToSchema('postgresql', pgDb.url)).trim()).toBe(EMPTY_MIGRATION);
	});

	it('notices a database that differs from the models', async () => {
		const url = `file:${path.join(dir, 'drifted.db')}`;
		await migrate(parseDatabaseUrl(url), prismaDir);
		// Through the adapter rather than better-sqlite3 directly: same driver, and typed.
		const db = await new PrismaBetterSqlite3({ url }).connect();
		await db.executeScript('ALTER TABLE "Camera" DROP COLUMN "label"');
		await db.dispose();
		const sql = await diffDatabaseToSchema('sqlite', url);
		expect(isEmptyMigration(sql)).toBe(false);
		expect(sql).toContain('"label"');
	});
});

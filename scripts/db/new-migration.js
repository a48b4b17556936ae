// node scripts/db/new-migration.js <name>
// For each provider: applies the committed migrations to a throwaway database,
// asks Prisma's schema engine (offline, scripts/db/engine.js) what SQL would
// bring it to the models, and saves that SQL as a new migration if any.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { diffDatabaseToSchema, isEmptyMigration, withMigratedScratchDatabase } from './engine.js';
import { migrationsDir, providers, root, writeSchemas } from './schemas.js';

const name = (process.argv[2] ?? '')
	.trim()
	.toLowerCase()
	.replace(/[^a-z0-9]+/g, '_')
	.replace(/^_+|_+$/g, '');
if (!name) {
	console.error('usage: node scripts/db/new-migration.js <name>');
	process.exit(2);
}

writeSchemas();
// One timestamp for both providers, so their migrations pair up by name (UTC, like Prisma).
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const folder = `${stamp}_${name}`;

for (const provider of /** @type {import('./engine.js').DbProvider[]} */ (providers)) {
	const sql = await withMigratedScratchDatabase(provider, (url) => diffDatabaseToSchema(provider, url));
	if (isEmptyMigration(sql)) {
		console.log(`${provider}: migrations already match the models, nothing to do`);
		continue;
	}
	const dir = migrationsDir(provider);
	mkdirSync(path.join(dir, folder), { recursive: true });
	// The lock file lets the real prisma CLI use these folders too, where it can run.
	const lock = path.join(dir, 'migration_lock.toml');
	if (!existsSync(lock)) writeFileSync(lock, `# Written by scripts/db/new-migration.js\nprovider = "${provider}"\n`);
	const file = path.join(dir, folder, 'migration.sql');
	writeFileSync(file, sql.endsWith('\n') ? sql : `${sql}\n`);
	console.log(`${provider}: wrote ${path.relative(root, file)}`);
}

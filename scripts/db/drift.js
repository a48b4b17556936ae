// node scripts/db/drift.js
// Fails (exit 1) when the committed migrations of a provider don't produce
// exactly the models in prisma/models.prisma, printing the missing SQL.
import { diffDatabaseToSchema, isEmptyMigration, withMigratedScratchDatabase } from './engine.js';
import { providers, writeSchemas } from './schemas.js';

writeSchemas();
let drift = false;
for (const provider of /** @type {import('./engine.js').DbProvider[]} */ (providers)) {
	const sql = await withMigratedScratchDatabase(provider, (url) => diffDatabaseToSchema(provider, url));
	if (isEmptyMigration(sql)) {
		console.log(`${provider}: no drift`);
		continue;
	}
	drift = true;
	console.log(`${provider}: the migrations don't match the models; pending SQL:\n\n${sql.trim()}\n`);
}
if (drift) {
	console.log('Create a migration with: npm run db:migration -- <name>');
	process.exit(1);
}
console.log('no drift');

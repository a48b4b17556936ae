// Writes both Prisma schemas and generates their clients. The prisma CLI wants
// to download its native schema engine even for `generate`, which needs none:
// PRISMA_SCHEMA_ENGINE_BINARY points it at a no-op so it works offline.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { providers, root, schemaPath, writeSchemas } from './schemas.js';

writeSchemas();
const cli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
for (const p of providers) {
	execFileSync(process.execPath, [cli, 'generate', '--schema', schemaPath(p)], {
		cwd: root,
		stdio: ['ignore', 'ignore', 'inherit'],
		env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1' }
	});
}
console.log('prisma: schemas written, clients generated for', providers.join(' and '));

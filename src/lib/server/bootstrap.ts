// Start-up: bring the database schema up to date, then make sure someone can log in.
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { config } from './config';
import { db } from './db/client';
import { migrate } from './db/migrate.js';
import { parseDatabaseUrl } from './db/url.js';
import { hashPassword } from './auth/password';
import { createCamera } from './cameras/cameras';
import { DEMO_SOURCE } from './ingest/inputs';

export async function bootstrap() {
	const target = parseDatabaseUrl(config.databaseUrl);
	const applied = await migrate(target, path.join(config.appRoot, 'prisma'));
	if (applied.length) console.log(`database (${target.provider}): applied ${applied.join(', ')}`);
	if (await ensureAdmin()) await createDemoCamera();
}

/** A fresh install gets one demo camera (a test pattern with a clock), so live video shows at once. */
async function createDemoCamera() {
	if (process.env.DEMO_CAMERA === 'false' || (await db.camera.count()) > 0) return;
	const camera = await createCamera({ name: 'demo', label: 'Demo camera', lat: 10.7769, lon: 106.7009, source: DEMO_SOURCE });
	console.log(`created the demo camera ${camera.id} (delete it like any camera)`);
}

/** On first start (no users at all) creates the admin; a generated password is printed once. True on a fresh install. */
async function ensureAdmin(): Promise<boolean> {
	if ((await db.user.count()) > 0) return false;
	const password = config.adminPassword ?? randomBytes(12).toString('base64url');
	await db.user.create({
		data: { id: randomUUID(), username: config.adminUsername, passwordHash: await hashPassword(password), role: 'admin' }
	});
	if (config.adminPassword) console.log(`created admin user "${config.adminUsername}" with ADMIN_PASSWORD`);
	else
		console.log(
			`\n  created admin user "${config.adminUsername}" with password: ${password}\n  (shown once: change it after logging in)\n`
		);
	return true;
}

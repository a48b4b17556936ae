// Start-up: bring the database schema up to date, then make sure someone can log in.
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { config } from './config';
import { db } from './db/client';
import { migrate } from './db/migrate.js';
import { parseDatabaseUrl } from './db/url.js';
import { hashPassword } from './auth/password';

export async function bootstrap() {
	const target = parseDatabaseUrl(config.databaseUrl);
	const applied = await migrate(target, path.join(config.appRoot, 'prisma'));
	if (applied.length) console.log(`database (${target.provider}): applied ${applied.join(', ')}`);
	await ensureAdmin();
}

/** On first start (no users at all) creates the admin; a generated password is printed once. */
async function ensureAdmin() {
	if ((await db.user.count()) > 0) return;
	const password = config.adminPassword ?? randomBytes(12).toString('base64url');
	await db.user.create({
		data: { id: randomUUID(), username: config.adminUsername, passwordHash: await hashPassword(password), role: 'admin' }
	});
	if (config.adminPassword) console.log(`created admin user "${config.adminUsername}" with ADMIN_PASSWORD`);
	else
		console.log(
			`\n  created admin user "${config.adminUsername}" with password: ${password}\n  (shown once: change it after logging in)\n`
		);
}

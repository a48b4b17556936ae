// The Prisma client for DATABASE_URL. Both generated clients have the same
// models (one models.prisma), so the PostgreSQL one is typed as the SQLite one.
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient } from './generated/sqlite/client';
import { PrismaClient as PgClient } from './generated/postgresql/client';
import { config } from '../config';
import { parseDatabaseUrl } from './url.js';

export type Db = SqliteClient;

function create(): Db {
	const target = parseDatabaseUrl(config.databaseUrl);
	if (target.provider === 'sqlite') {
		return new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: `file:${target.file}` }) });
	}
	return new PgClient({ adapter: new PrismaPg({ connectionString: target.url }) }) as unknown as Db;
}

export const db: Db = create();

// Prisma's schema engine, offline: the wasm build (@prisma/schema-engine-wasm)
// driven through the driver adapters, because the prisma CLI downloads a native
// engine and fails here (see /work/shared/notes/stack.md, pitfalls 4 and 5).
// Used by new-migration.js, drift.js and tests/db/schema-drift.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import { migrate } from '../../src/lib/server/db/migrate.js';
import { parseDatabaseUrl } from '../../src/lib/server/db/url.js';
import { root, schemaPath, schemaText } from './schemas.js';
import { adminQuery, createPostgresDatabase } from './scratch.js';

/** @typedef {'sqlite' | 'postgresql'} DbProvider */

export const EMPTY_MIGRATION = '-- This is an empty migration.';

/** True when a diff script changes nothing. @param {string | null | undefined} sql */
export function isEmptyMigration(sql) {
	return !sql || sql.trim() === '' || sql.trim() === EMPTY_MIGRATION;
}

/**
 * The SQL that would bring the live database at `databaseUrl` to the datamodel
 * of `schemaText(provider)`. Prisma's own `_prisma_migrations` table is left out
 * of the comparison by the engine itself.
 * @param {DbProvider} provider
 * @param {string} databaseUrl `file:<path>` or `postgresql://…`
 * @returns {Promise<string>}
 */
export async function diffDatabaseToSchema(provider, databaseUrl) {
	const files = [{ path: schemaPath(provider), content: schemaText(provider) }];
	return withEngine(provider, databaseUrl, async (engine) => {
		const result = await engine.diff({
			// "schemaDatasource" = the database behind the adapter (URLs are no longer accepted).
			from: { tag: 'schemaDatasource', files, configDir: root },
			to: { tag: 'schemaDatamodel', files },
			script: true,
			exitCode: null,
			filters: { externalTables: [], externalEnums: [] }
		});
		return result.stdout ?? '';
	});
}

/**
 * Runs `fn` on a throwaway database of `provider` that the committed
 * migrations were applied to with our own runner (migrate.js), then deletes it.
 * @template T
 * @param {DbProvider} provider
 * @param {(databaseUrl: string) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withMigratedScratchDatabase(provider, fn) {
	const prismaDir = path.join(root, 'prisma');
	if (provider === 'sqlite') {
		const dir = mkdtempSync(path.join(tmpdir(), 'vantage-scratch-'));
		const url = `file:${path.join(dir, 'scratch.db')}`;
		try {
			await migrate(parseDatabaseUrl(url), prismaDir);
			return await fn(url);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}
	const db = await createPostgresDatabase('vantage_scratch');
	try {
		await migrate(parseDatabaseUrl(db.url), prismaDir);
		return await fn(db.url);
	} finally {
		await db.drop();
	}
}

/**
 * Runs `fn` with a schema engine connected to `databaseUrl`, then frees the
 * engine and closes every connection it opened.
 * @template T
 * @param {DbProvider} provider
 * @param {string} databaseUrl
 * @param {(engine: import('@prisma/schema-engine-wasm').SchemaEngine) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withEngine(provider, databaseUrl, fn) {
	const target = parseDatabaseUrl(databaseUrl);
	if (target.provider !== provider) throw new Error(`${databaseUrl} is not a ${provider} database`);
	const { SchemaEngine } = await loadWasm();
	const factory = target.provider === 'sqlite' ? sqliteFactory(target.file) : pgFactory(target.url);
	const bound = bindMigrationAwareSqlAdapterFactory(factory);
	const readable = (/** @type {unknown} */ e) => readableError(e, bound.errorRegistry);
	/** @type {import('@prisma/schema-engine-wasm').SchemaEngine | undefined} */
	let engine;
	try {
		engine = await SchemaEngine.new({ datamodels: [[schemaPath(provider), schemaText(provider)]] }, engineLog, bound);
		return await fn(engine);
	} catch (e) {
		throw readable(e);
	} finally {
		engine?.free();
		// The engine disposes the shadow adapter but never the main one: left open,
		// a pg pool keeps the process alive ~10 s and blocks DROP DATABASE.
		await factory.disposeAll();
	}
}

/** Engine log lines (JSON strings); shown with DEBUG=schema-engine. @param {string} line */
function engineLog(line) {
	if (process.env.DEBUG?.includes('schema-engine')) console.error('[schema-engine]', line);
}

/** @type {Promise<typeof bindings> | undefined} */
let wasmReady;

/** Node 20 can't `import` a .wasm module, so instantiate it by hand, once. */
function loadWasm() {
	wasmReady ??= (async () => {
		// Rust panics are reported through this global before the wasm traps.
		/** @type {any} */ (globalThis).PRISMA_WASM_PANIC_REGISTRY ??= {
			/** @param {string} message */
			set_message(message) {
				lastPanic = message;
			}
		};
		const js = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
		const bytes = readFileSync(path.join(path.dirname(js), 'schema_engine_bg.wasm'));
		const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bindings });
		bindings.__wbg_set_wasm(instance.exports);
		/** @type {any} */ (instance.exports).__wbindgen_start();
		return bindings;
	})();
	return wasmReady;
}

/** @type {string | undefined} */
let lastPanic;

/**
 * Driver errors reach us as "External error id#N": the real error waits in the
 * adapter's error registry. Panics come out as a bare wasm RuntimeError.
 * @param {unknown} e
 * @param {{ consumeError(id: number): { error: unknown } | undefined }} registry
 */
function readableError(e, registry) {
	const message = e instanceof Error ? e.message : String(e);
	const id = /External error id#(\d+)/.exec(message)?.[1];
	const external = id === undefined ? undefined : registry.consumeError(Number(id))?.error;
	if (external) {
		const inner = external instanceof Error ? external.message : JSON.stringify(external);
		return new Error(`schema engine: ${message.replace(/External error id#\d+/, inner)}`, { cause: external });
	}
	if (e instanceof WebAssembly.RuntimeError && lastPanic) {
		const panic = lastPanic;
		lastPanic = undefined;
		return new Error(`schema engine panicked: ${panic}`, { cause: e });
	}
	return e instanceof Error ? e : new Error(message);
}

/**
 * Keeps every adapter a factory hands out, so that all can be disposed at the end.
 * @param {{ provider: import('@prisma/driver-adapter-utils').Provider, adapterName: string }} base
 * @param {() => Promise<any>} connect
 * @param {() => Promise<any>} connectToShadowDb
 */
function trackingFactory(base, connect, connectToShadowDb) {
	/** @type {Set<any>} */
	const open = new Set();
	/** @param {any} adapter */
	const track = (adapter) => {
		const dispose = adapter.dispose.bind(adapter);
		adapter.dispose = async () => {
			if (!open.delete(adapter)) return; // already closed
			await dispose();
		};
		open.add(adapter);
		return adapter;
	};
	return {
		provider: base.provider,
		adapterName: base.adapterName,
		connect: async () => track(await connect()),
		connectToShadowDb: async () => track(await connectToShadowDb()),
		disposeAll: async () => {
			for (const adapter of [...open]) await adapter.dispose().catch(() => {});
		}
	};
}

/** @param {string} file */
function sqliteFactory(file) {
	const base = new PrismaBetterSqlite3({ url: file });
	/** The engine sends multi-statement scripts (e.g. migrations replayed on the
	 * shadow database) through executeRaw, which better-sqlite3 can only prepare
	 * one statement at a time: run parameterless raw SQL as a script instead.
	 * @param {any} adapter */
	const scriptsAsScripts = (adapter) => {
		const executeRaw = adapter.executeRaw.bind(adapter);
		adapter.executeRaw = async (/** @type {{ sql: string, args: unknown[] }} */ query) => {
			if (query.args.length > 0) return executeRaw(query);
			await adapter.executeScript(query.sql);
			return 0;
		};
		return adapter;
	};
	return trackingFactory(
		base,
		async () => scriptsAsScripts(await base.connect()),
		async () => scriptsAsScripts(await base.connectToShadowDb())
	);
}

/**
 * adapter-pg 7.10 rejects columns of Postgres' internal `"char"` type (OID 18),
 * which the engine's catalog queries return (e.g. pg_class.relkind); they hold
 * one-character strings, so report them as text (OID 25).
 */
class CharAsTextClient extends pg.Client {
	/** @param {any[]} args */
	query(...args) {
		const fix = (/** @type {any} */ res) => {
			for (const r of Array.isArray(res) ? res : [res])
				for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
			return res;
		};
		const last = args.length - 1;
		if (typeof args[last] === 'function') {
			// Callback form, used by pg.Pool#query.
			const cb = args[last];
			args[last] = (/** @type {unknown} */ err, /** @type {unknown} */ res) => cb(err, err ? res : fix(res));
			return /** @type {any} */ (super.query)(...args);
		}
		const ret = /** @type {any} */ (super.query)(...args);
		return ret && typeof ret.then === 'function' ? ret.then(fix) : ret;
	}
}

/** @param {string} url */
function pgFactory(url) {
	/** @param {string} connectionString */
	const adapterFactory = (connectionString) => new PrismaPg({ connectionString, Client: CharAsTextClient });
	const base = adapterFactory(url);
	return trackingFactory(
		base,
		() => base.connect(),
		// Not PrismaPg's own connectToShadowDb: it opens the shadow pool with
		// { connectionString, database }, and pg lets the connection string win, so
		// the migrations get replayed on the MAIN database (seen here); it also
		// drops the shadow database before closing that pool. Ours: own URL for
		// the shadow database; on dispose, close the pool first, then drop.
		async () => {
			const name = `prisma_shadow_${randomBytes(6).toString('hex')}`;
			await adminQuery(url, `CREATE DATABASE "${name}"`);
			const shadowUrl = new URL(url);
			shadowUrl.pathname = `/${name}`;
			const adapter = await adapterFactory(shadowUrl.toString()).connect();
			const dispose = adapter.dispose.bind(adapter);
			adapter.dispose = async () => {
				await dispose();
				await adminQuery(url, `DROP DATABASE IF EXISTS "${name}"`);
			};
			return adapter;
		}
	);
}

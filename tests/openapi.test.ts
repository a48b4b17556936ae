// GET /api/openapi.json must describe exactly the routes under src/routes/api:
// every +server.ts method is documented and every documented operation exists.
// No server needed: the routes are read as text, the document is plain data.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openapiDocument } from '../src/lib/server/openapi';
import { SOURCE_SCHEMES } from '../src/lib/server/cameras/source';

// The document is checked as untyped JSON, the way a client sees it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const routesDir = path.join(root, 'src/routes');
const SERVER = 'http://vantage.test:1984';
const doc: Json = openapiDocument(SERVER, '9.9.9');

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
// `export const GET`, `export function GET`, `export async function GET`, and SvelteKit's `fallback`.
const EXPORT = /^export\s+(?:const|(?:async\s+)?function)\s+(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|fallback)\b/gm;

interface RouteOperation {
	file: string; // relative to the project root
	path: string; // OpenAPI style: /api/cameras/{id}
	method: string; // lower case, as in the document
	code: string; // the source of this export, up to the next one
}

function serverFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
		const full = path.join(dir, e.name);
		if (e.isDirectory()) return serverFiles(full);
		return e.name === '+server.ts' || e.name === '+server.js' ? [full] : [];
	});
}

/** src/routes/api/cameras/[id]/+server.ts → /api/cameras/{id}; route groups "(x)" vanish. */
function openapiPath(file: string): string {
	const segments = path
		.relative(routesDir, path.dirname(file))
		.split(path.sep)
		.filter((s) => !/^\(.*\)$/.test(s))
		.map((s) => {
			if (s.includes('[[')) throw new Error(`${file}: optional parameters have no OpenAPI equivalent; document them by hand`);
			return s.replace(/\[(?:\.\.\.)?([A-Za-z_$][\w$]*)(?:=[\w$]+)?\]/g, '{$1}');
		});
	return '/' + segments.join('/');
}

function routeOperations(): RouteOperation[] {
	return serverFiles(path.join(routesDir, 'api')).flatMap((file) => {
		const text = readFileSync(file, 'utf8');
		const rel = path.relative(root, file);
		const exports = [...text.matchAll(EXPORT)];
		if (exports.length === 0) throw new Error(`${rel}: no HTTP method export found (the test reads "export const GET = ...")`);
		return exports.map((m, i) => {
			if (m[1] === 'fallback') throw new Error(`${rel}: a fallback handler cannot be checked against the document`);
			return {
				file: rel,
				path: openapiPath(file),
				method: m[1].toLowerCase(),
				code: text.slice(m.index, exports[i + 1]?.index ?? text.length)
			};
		});
	});
}

function documentedOperations(): { path: string; method: string; op: Json }[] {
	return Object.entries(doc.paths as Record<string, Json>).flatMap(([p, item]) =>
		HTTP_METHODS.map((m) => m.toLowerCase())
			.filter((m) => item[m] !== undefined)
			.map((m) => ({ path: p, method: m, op: item[m] }))
	);
}

/** Resolves a local "#/a/b" reference inside the document, or undefined. */
function resolve(ref: string): Json {
	if (!ref.startsWith('#/')) return undefined;
	let node: Json = doc;
	for (const raw of ref.slice(2).split('/')) {
		const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
		if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
		node = node[key];
	}
	return node;
}
const deref = (node: Json): Json => (node && typeof node.$ref === 'string' ? deref(resolve(node.$ref)) : node);

/** Every [pointer, value] in the document, depth first. */
function* walk(node: Json, at = '#'): Generator<[string, Json]> {
	yield [at, node];
	if (node !== null && typeof node === 'object')
		for (const [k, v] of Object.entries(node)) yield* walk(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
}

/** The operation's security, or the document's default; [] means public, {} inside it means optional. */
const securityOf = (op: Json): Json[] => op.security ?? doc.security ?? [];
const requiresCredentials = (op: Json) => {
	const s = securityOf(op);
	return s.length > 0 && !s.some((r: Json) => Object.keys(r).length === 0);
};

// Media endpoints authorize through liveCamera / liveCameraFor (src/lib/server/live/access.ts):
// requireUser, then visibleCamera (400 without id, 404), then 503 for a disabled or unloaded camera.
const LIVE_CAMERA = /\bliveCamera(?:For)?\s*\(/;
const needsUserIn = (code: string) => /\brequire(?:User|Admin)\s*\(/.test(code) || LIVE_CAMERA.test(code);

/** The error statuses a handler answers with, as far as its own code shows them. */
function errorStatuses(code: string): string[] {
	const statuses = new Set([...code.matchAll(/\bnew ApiError\(\s*(\d{3})/g)].map((m) => m[1]));
	if (/\b(?:badRequest|readJsonObject|onlyFields)\s*\(/.test(code)) statuses.add('400');
	if (/\b(?:notFound|visibleCamera|getCamera)\s*\(/.test(code)) statuses.add('404');
	if (/\bofflineError\s*\(/.test(code)) statuses.add('503');
	if (LIVE_CAMERA.test(code)) for (const s of ['400', '404', '503']) statuses.add(s);
	return [...statuses].sort();
}

const routes = routeOperations();
const documented = documentedOperations();
const key = (o: { path: string; method: string }) => `${o.method.toUpperCase()} ${o.path}`;

describe('OpenAPI document: structure', () => {
	it('is OpenAPI 3.1 with a title, a version and this server', () => {
		expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
		expect(typeof doc.info?.title).toBe('string');
		expect(doc.info.title.length).toBeGreaterThan(0);
		expect(doc.info.version).toBe('9.9.9');
		expect(doc.servers).toEqual([{ url: SERVER }]);
		expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
	});

	it('is plain JSON (survives a round trip unchanged)', () => {
		expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
	});

	it('resolves every $ref inside the document', () => {
		const refs = [...walk(doc)].filter(([at, v]) => at.endsWith('/$ref') && typeof v === 'string');
		expect(refs.length).toBeGreaterThan(0);
		const broken = refs.filter(([, ref]) => resolve(ref) === undefined).map(([at, ref]) => `${at} → ${ref}`);
		expect(broken).toEqual([]);
	});

	it('has patterns that compile as ECMA-262 (unicode) regular expressions', () => {
		const patterns = [...walk(doc)].filter(([at, v]) => at.endsWith('/pattern') && typeof v === 'string');
		for (const [at, p] of patterns) expect(() => new RegExp(p, 'u'), at).not.toThrow();
	});

	it('has unique operationIds and declared tags', () => {
		const ids = documented.map((d) => d.op.operationId);
		expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
		expect(new Set(ids).size).toBe(ids.length);
		const tags = new Set((doc.tags ?? []).map((t: Json) => t.name));
		for (const d of documented) for (const t of d.op.tags ?? []) expect(tags.has(t), `${key(d)} tag ${t}`).toBe(true);
	});

	it('declares each path template parameter as a required path parameter', () => {
		for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
			expect(p.startsWith('/'), p).toBe(true);
			const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
			for (const d of documented.filter((x) => x.path === p)) {
				const params = [...(item.parameters ?? []), ...(d.op.parameters ?? [])].map(deref);
				const inPath = params.filter((x: Json) => x.in === 'path');
				expect(inPath.map((x: Json) => x.name).sort(), key(d)).toEqual(templated);
				expect(inPath.every((x: Json) => x.required === true), key(d)).toBe(true);
			}
		}
	});

	it('uses only declared security schemes', () => {
		const schemes = Object.keys(doc.components?.securitySchemes ?? {});
		expect(schemes).toEqual(expect.arrayContaining(['bearerAuth', 'tokenQuery', 'sessionCookie']));
		expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'vantage_session' });
		expect(doc.components.securitySchemes.tokenQuery).toMatchObject({ type: 'apiKey', in: 'query', name: 'token' });
		expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
		for (const d of documented)
			for (const requirement of securityOf(d.op))
				for (const name of Object.keys(requirement)) expect(schemes, `${key(d)} security`).toContain(name);
	});
});

describe('OpenAPI document: routes', () => {
	it('finds the API routes on disk', () => {
		expect(routes.length).toBeGreaterThan(0);
		expect(routes.map(key)).toContain('GET /api/openapi.json');
	});

	it('documents every route and method under src/routes/api', () => {
		const inDoc = new Set(documented.map(key));
		expect(routes.filter((r) => !inDoc.has(key(r))).map((r) => `${key(r)} (${r.file})`)).toEqual([]);
	});

	it('documents no route or method that does not exist', () => {
		const onDisk = new Set(routes.map(key));
		expect(documented.filter((d) => !onDisk.has(key(d))).map(key)).toEqual([]);
	});

	for (const r of routes) {
		describe(key(r), () => {
			const op = (): Json => doc.paths[r.path]?.[r.method];

			it('has a success (2xx) response, including each success status the handler sets', () => {
				const codes = Object.keys(op()?.responses ?? {});
				expect(codes.some((c) => /^2\d\d$/.test(c))).toBe(true);
				const explicit = [...r.code.matchAll(/status:\s*(\d{3})/g)].map((m) => m[1]).filter((c) => Number(c) < 400);
				for (const c of explicit) expect(codes, `${r.file} answers ${c}`).toContain(c);
			});

			it('declares security, 401 and 403 as the handler requires', () => {
				const needsUser = needsUserIn(r.code);
				const needsAdmin = /\brequireAdmin\s*\(/.test(r.code);
				const responses = op()?.responses ?? {};
				expect(requiresCredentials(op()), `${r.file}: security`).toBe(needsUser);
				if (needsUser) expect(responses, `${r.file}: 401`).toHaveProperty('401');
				if (needsAdmin) expect(responses, `${r.file}: 403`).toHaveProperty('403');
			});

			it('declares 400 when the handler validates input', () => {
				if (/\b(?:badRequest|readJsonObject|onlyFields)\s*\(/.test(r.code) || LIVE_CAMERA.test(r.code))
					expect(op()?.responses).toHaveProperty('400');
			});

			it('declares each error status the handler answers with', () => {
				const codes = Object.keys(op()?.responses ?? {});
				for (const status of errorStatuses(r.code)) expect(codes, `${r.file} answers ${status}`).toContain(status);
			});

			it('documents each content type the handler sets on a success', () => {
				const types = new Set(
					Object.entries(op()?.responses ?? {})
						.filter(([c]) => /^2\d\d$/.test(c))
						.flatMap(([, res]) => Object.keys(deref(res).content ?? {}))
				);
				// Every media type the handler names (also through a variable, as in hls/[file]), and JSON for json().
				const set = [...r.code.matchAll(/'((?:application|audio|image|text|video)\/[\w.+-]+)'/g)].map((m) => m[1]);
				if (/\bjson\(/.test(r.code)) set.push('application/json');
				for (const t of set) expect([...types], `${r.file} answers ${t}`).toContain(t);
			});

			it('lists exactly the values of a path parameter the handler switches on', () => {
				const switched = /switch\s*\(\s*params\.(\w+)\s*\)\s*\{/.exec(r.code);
				if (!switched) return;
				const handled = [...r.code.slice(switched.index).matchAll(/\bcase\s+'([^']+)'\s*:/g)].map((m) => m[1]).sort();
				const item = doc.paths[r.path] ?? {};
				const param = [...(item.parameters ?? []), ...(op()?.parameters ?? [])].map(deref).find((x: Json) => x.in === 'path' && x.name === switched[1]);
				expect(deref(param?.schema)?.enum?.slice().sort(), `${r.file}: ${switched[1]}`).toEqual(handled);
			});

			it('declares a JSON request body exactly when the handler reads one', () => {
				const readsBody = /\breadJsonObject\s*\(/.test(r.code);
				expect(Boolean(op()?.requestBody?.content?.['application/json']), r.file).toBe(readsBody);
			});
		});
	}
});

describe('OpenAPI document: schemas follow the validation code', () => {
	const text = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
	/** The first capture of `re` in the file; a missing match means this test needs updating with the code. */
	const grab = (rel: string, re: RegExp): string => {
		const m = re.exec(text(rel));
		if (!m) throw new Error(`${rel}: ${re} no longer matches; update tests/openapi.test.ts and src/lib/server/openapi.ts`);
		return m[1];
	};
	const strings = (list: string) => [...list.matchAll(/'([^']*)'/g)].map((m) => m[1]);
	const S = () => doc.components.schemas;
	const CAMERAS = 'src/lib/server/cameras/cameras.ts';
	const USERS = 'src/lib/server/users/users.ts';

	it('camera fields, id and name', () => {
		const fields = strings(grab(CAMERAS, /export const CAMERA_FIELDS = \[([^\]]*)\]/)).sort();
		expect(Object.keys(S().CameraInput.properties).sort()).toEqual(fields);
		expect(Object.keys(S().CameraPatch.properties).sort()).toEqual(fields);
		expect(S().CameraId.pattern).toBe(grab(CAMERAS, /export const CAMERA_ID = \/(.+)\/;/));
		const name = S().CameraInput.properties.name;
		expect(name.pattern).toBe(grab(CAMERAS, /const CAMERA_NAME = \/(.+)\/;/));
		expect(name.maxLength).toBe(Number(grab(CAMERAS, /input\.name\.length > (\d+)/)));
		expect(S().CameraInput.properties.label.maxLength).toBe(Number(grab(CAMERAS, /input\.label\.length > (\d+)/)));
	});

	it('camera coordinates and tags', () => {
		const p = S().CameraInput.properties;
		const lat = Number(grab(CAMERAS, /coordinate\(input\.lat, 'lat', (\d+)\)/));
		const lon = Number(grab(CAMERAS, /coordinate\(input\.lon, 'lon', (\d+)\)/));
		expect([p.lat.minimum, p.lat.maximum, p.lon.minimum, p.lon.maximum]).toEqual([-lat, lat, -lon, lon]);
		expect(p.tags.items.maxLength).toBe(Number(grab(CAMERAS, /t\.length > (\d+)/)));
		expect(p.tags.maxItems).toBe(Number(grab(CAMERAS, /input\.tags\.length > (\d+)/)));
	});

	it('camera source schemes', () => {
		const source = S().CameraInput.properties.source;
		expect(source.maxLength).toBe(Number(grab('src/lib/server/cameras/source.ts', /source\.length > (\d+)/)));
		const [push, url] = source.anyOf;
		expect(push).toEqual({ const: 'push' });
		const re = new RegExp(url.pattern, 'u');
		for (const scheme of SOURCE_SCHEMES) {
			expect(re.test(`${scheme}://host/stream`), scheme).toBe(true);
			expect(source.description, scheme).toContain(`${scheme}://`);
		}
		expect(re.test('ftp://host/stream')).toBe(false);
	});

	it('camera shapes and live status', () => {
		const VIEWS = 'src/lib/server/cameras/views.ts';
		const keys = (fields: string) => [...fields.matchAll(/(\w+):/g)].map((m) => m[1]).sort();
		expect(Object.keys(S().Camera.properties).sort()).toEqual(keys(grab(VIEWS, /export function adminCamera\([^]*?return \{([^]*?)\};/)));
		expect(Object.keys(S().CameraView.properties).sort()).toEqual(keys(grab(VIEWS, /export function viewerCamera\([^]*?return \{([^]*?)\};/)));
		expect(S().Camera.required.slice().sort()).toEqual(Object.keys(S().Camera.properties).sort());
		expect(S().CameraView.required.slice().sort()).toEqual(Object.keys(S().CameraView.properties).sort());
		for (const s of [S().Camera, S().CameraView]) expect(deref(s.properties.status)).toBe(S().StreamStatus);

		const status = grab('src/lib/server/hub/stream.ts', /export interface StreamStatus \{([^}]*)\}/);
		const fields = [...status.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]).sort();
		expect(Object.keys(S().StreamStatus.properties).sort()).toEqual(fields);
		expect(S().StreamStatus.required.slice().sort()).toEqual(fields);
		expect(S().StreamStatus.properties.state.enum).toEqual(strings(grab('src/lib/server/ingest/ffmpeg-ingest.ts', /export type IngestState = ([^;]*);/)));
	});

	it('consumers', () => {
		const fields = grab('src/routes/api/cameras/[id]/consumers/+server.ts', /consumers\.map\(\(c\) => \(\{([^}]*)\}\)\)/);
		expect(Object.keys(S().Consumer.properties).sort()).toEqual([...fields.matchAll(/(\w+):/g)].map((m) => m[1]).sort());
	});

	it('user fields, username, roles and passwords', () => {
		expect(Object.keys(S().UserInput.properties).sort()).toEqual(strings(grab(USERS, /export const USER_FIELDS = \[([^\]]*)\]/)).sort());
		expect(S().UserInput.properties.username.pattern).toBe(grab(USERS, /const USERNAME = \/(.+)\/;/));
		expect(S().Role.enum).toEqual(strings(grab('src/lib/server/auth/principal.ts', /export const ROLES[^=]*=\s*\[([^\]]*)\]/)));
		const min = Number(grab('src/lib/server/auth/password.ts', /MIN_PASSWORD_LENGTH = (\d+)/));
		const max = Number(grab('src/lib/server/auth/password.ts', /password\.length > (\d+)\) return 'password must be at most/));
		for (const p of [S().UserInput.properties.password, S().UserPatch.properties.password, S().PasswordChange.properties.newPassword])
			expect([p.minLength, p.maxLength]).toEqual([min, max]);
	});
});

describe('OpenAPI document: the live video WebSocket (x-websocket)', () => {
	const WS = 'src/lib/server/live/ws-endpoint.ts';
	const code = readFileSync(path.join(root, WS), 'utf8');
	const at = /url\.pathname !== '([^']+)'/.exec(code)?.[1];

	it('describes the path ws-endpoint.ts serves, which is no HTTP route', () => {
		expect(at, `${WS}: the upgrade path`).toBeDefined();
		expect(Object.keys(doc['x-websocket'] ?? {})).toEqual([at]);
		expect(doc.paths[at!]).toBeUndefined();
		const ws = doc['x-websocket'][at!];
		expect(requiresCredentials(ws)).toBe(true);
		const params = ws.parameters.map(deref);
		expect(params.map((x: Json) => `${x.in} ${x.name}`).sort()).toEqual(['query id', 'query token']);
		for (const status of ['400', '401', '404', '503']) expect(ws.upgradeErrors, status).toHaveProperty(status);
	});

	it('documents exactly the request types the session handles', () => {
		const handle = /private async handle\([^]*?switch \(type\) \{([^]*?)\n\t\t\}/.exec(code)?.[1];
		expect(handle, `${WS}: WsSession.handle`).toBeDefined();
		const handled = [...handle!.matchAll(/\bcase\s+'([^']+)'\s*:/g)].map((m) => m[1]).sort();
		const ws = doc['x-websocket'][at!];
		expect(Object.keys(ws.clientMessages).sort()).toEqual(handled);
		const types = deref(ws.message).properties.type.enum;
		for (const t of [...handled, ...Object.keys(ws.serverMessages)]) expect(types, t).toContain(t);
		for (const [type, m] of Object.entries(ws.clientMessages as Record<string, Json>)) expect(m.example?.type, type).toBe(type);
	});
});

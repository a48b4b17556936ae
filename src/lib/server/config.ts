// Configuration from the environment, read once. Defaults are documented in README.md.
import { readFileSync } from 'node:fs';
import path from 'node:path';

function port(name: string, fallback: number): number {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return fallback;
	const n = Number(raw);
	if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
	return n;
}

function optional(name: string): string | undefined {
	const v = process.env[name];
	return v === undefined || v === '' ? undefined : v;
}

function whole(name: string, fallback: number, min: number): number {
	const raw = optional(name);
	if (raw === undefined) return fallback;
	const n = Number(raw);
	if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min}, got "${raw}"`);
	return n;
}

const dataDir = path.resolve(optional('DATA_DIR') ?? './data');
const mediaDir = path.join(dataDir, 'mediastore');

export const config = {
	port: port('PORT', 1984),
	rtspPort: port('RTSP_PORT', 8554),
	rtmpPort: port('RTMP_PORT', 1935),
	dataDir,
	databaseUrl: optional('DATABASE_URL') ?? `file:${path.join(dataDir, 'vantage.db')}`,
	adminUsername: optional('ADMIN_USERNAME') ?? 'admin',
	adminPassword: optional('ADMIN_PASSWORD'),
	jwtSecret: optional('JWT_SECRET'),
	publicUrl: optional('PUBLIC_URL')?.replace(/\/+$/, ''),
	record: {
		dir: path.join(mediaDir, 'record'),
		snapshotDir: path.join(mediaDir, 'snapshots'),
		exportDir: path.join(mediaDir, 'exports'),
		/** Segment length of cameras that don't set their own. */
		segmentSec: whole('RECORD_SEGMENT_SEC', 60, 1),
		/** Under this much free space in `dir` the oldest footage goes; with none left to delete, recording stops. */
		minFreeMb: whole('RECORD_MIN_FREE_MB', 1024, 0),
		/** All recordings together stay under this (0: no quota). */
		quotaMb: whole('RECORD_QUOTA_MB', 0, 0),
		/** How often retention and the free space are checked. */
		checkMs: whole('RECORD_CHECK_MS', 10_000, 100)
	},
	/** Map tiles: a Leaflet URL template; set but empty = no tile layer (the map still shows the cameras). */
	tileUrl: process.env.TILE_URL ?? 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
	tileAttribution: process.env.TILE_ATTRIBUTION ?? '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
	/** Where prisma/ lives: the project root, set by server.js; the working directory otherwise. */
	appRoot: path.resolve(optional('VANTAGE_ROOT') ?? '.')
};

export const version: string = JSON.parse(readFileSync(path.join(config.appRoot, 'package.json'), 'utf8')).version;

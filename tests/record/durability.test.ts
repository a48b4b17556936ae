// Nothing recorded is lost silently: a kill -9 during recording leaves the
// last file playable, missing at most about a second; a camera that drops
// leaves a closed, playable segment at once; footage past its
// camera's retention days goes; a full disk deletes the
// oldest footage first, then stops recording with a visible error, and
// recording resumes by itself once there is room. The disk is a small tmpfs
// mounted over the recordings folder (needs root; skipped otherwise).
import { execFileSync, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server';
import { startFakeCamera } from '../support/fake-camera';
import { sleep, until } from '../support/media';
import { closedSegments, createCamera, probeDuration, segments } from './support';

const run = promisify(execFile);

// better-sqlite3 (the server's own SQLite driver, untyped here): the test ages a row in the server's database.
interface Sqlite {
	prepare(sql: string): { get(...args: unknown[]): unknown; run(...args: unknown[]): unknown };
	close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => Sqlite;

/** The pid of the process listening on a TCP port of 127.0.0.1. */
function listenerPid(port: number): number {
	const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
	const m = /pid=(\d+)/.exec(out);
	if (!m) throw new Error(`nobody listens on ${port}: ${out}`);
	return Number(m[1]);
}

function tryMountTmpfs(dir: string, sizeMb: number): boolean {
	try {
		execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

const MB = 1024 * 1024;
const freeMb = (dir: string) => {
	const s = statfsSync(dir);
	return (s.bavail * s.bsize) / MB;
};

describe('durability', () => {
	/** A server recording a fake camera continuously in 60 s segments, `ms` into its first segment. */
	async function recordingFor(name: string, ms: number) {
		const cam = await startFakeCamera();
		const s = await startServer('sqlite', { RECORD_MIN_FREE_MB: '1' }).catch(async (e) => {
			await cam.stop();
			throw e;
		});
		try {
			const admin = await s.adminToken();
			const id = await createCamera(s, admin, name, cam.url, { recordMode: 'continuous', segmentSec: 60 });
			await until(async () => (await segments(s, admin, id)).segments.length > 0, 15_000, 'recording');
			await sleep(ms);
			return { cam, s, admin, id };
		} catch (e) {
			await s.stop();
			await cam.stop();
			throw e;
		}
	}

	it.concurrent('kill -9 while recording: the last file plays, at most ~1 s lost', async () => {
		const { cam, s, admin, id } = await recordingFor('crash', 5000);
		try {
			const killedAt = Date.now();
			process.kill(listenerPid(s.port), 'SIGKILL');
			await sleep(300);
			await s.restart();
			const { segments: list } = await closedSegments(s, admin, id, 1, 15_000);
			// The repaired segment; recording goes on in a new one after the restart.
			const repaired = list.find((x) => Date.parse(x.start) < killedAt)!;
			const lostMs = killedAt - Date.parse(repaired.end);
			console.log(`kill -9: ${lostMs} ms of footage before the kill not on disk`);
			expect(lostMs).toBeLessThan(1500);
			expect(repaired.durationMs).toBeGreaterThan(4000);
			const probed = await probeDuration(`${s.base}${repaired.url}`);
			expect(Math.abs(probed * 1000 - repaired.durationMs)).toBeLessThan(100);
			// Decodes to the end without errors.
			const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', `${s.base}${repaired.url}`, '-f', 'null', '-'], { timeout: 30_000 });
			expect(stderr).toBe('');
		} finally {
			await s.stop();
			await cam.stop();
		}
	});

	it.concurrent('a camera that drops mid-segment: what it sent is a closed, playable segment at once', async () => {
		const { cam, s, admin, id } = await recordingFor('drops', 4000);
		try {
			await cam.stop();
			// Closed as soon as the ingest sees the camera gone, long before the 60 s segment would end.
			const { segments: list } = await closedSegments(s, admin, id, 1, 10_000);
			expect(list).toHaveLength(1);
			expect(list[0].durationMs).toBeGreaterThan(3000);
			expect(Math.abs((await probeDuration(`${s.base}${list[0].url}`)) * 1000 - list[0].durationMs)).toBeLessThan(100);
			// Recording goes on by itself when the camera is back.
			await cam.start();
			await until(async () => (await segments(s, admin, id)).segments.length === 2, 30_000, 'a new segment');
		} finally {
			await s.stop();
			await cam.stop();
		}
	});

	it.concurrent('footage older than the camera\'s retention days is deleted, newer footage stays', async () => {
		const cam = await startFakeCamera();
		const s = await startServer('sqlite', { RECORD_MIN_FREE_MB: '1', RECORD_CHECK_MS: '300' });
		try {
			const admin = await s.adminToken();
			const id = await createCamera(s, admin, 'aging', cam.url, { retentionDays: 1, segmentSec: 2 });
			await s.api(`/api/cameras/${id}/recording`, { method: 'POST', token: admin, body: { action: 'start', limitSec: 5 } });
			const { segments: list } = await closedSegments(s, admin, id, 2, 15_000);
			// Make the first segment two days old, in the database the server uses.
			const db = new Database(path.join(s.dataDir, 'vantage.db'));
			const row = db.prepare('SELECT startAt, endAt, path FROM Recording WHERE id = ?').get(list[0].id) as { startAt: unknown; path: string };
			const old = Date.now() - 2 * 86_400_000;
			const as = (t: number) => (typeof row.startAt === 'number' ? t : new Date(t).toISOString());
			db.prepare('UPDATE Recording SET startAt = ?, endAt = ? WHERE id = ?').run(as(old), as(old + list[0].durationMs), list[0].id);
			db.close();
			const file = path.join(s.dataDir, 'mediastore', 'record', row.path);
			expect(existsSync(file)).toBe(true);
			await until(() => !existsSync(file), 10_000, 'the old file deleted');
			const rest = (await segments(s, admin, id, `?start=${new Date(old - 60_000).toISOString()}`)).segments.map((x) => x.id);
			expect(rest).toEqual(list.slice(1).map((x) => x.id));
		} finally {
			await s.stop();
			await cam.stop();
		}
	});

	it.concurrent('full disk: oldest footage goes first, then recording stops with an error and resumes once there is room', async (ctx) => {
		const dataDir = mkdtempSync(path.join(tmpdir(), 'vantage-disk-'));
		const recordDir = path.join(dataDir, 'mediastore', 'record');
		mkdirSync(recordDir, { recursive: true });
		if (!tryMountTmpfs(recordDir, 24)) {
			rmSync(dataDir, { recursive: true, force: true });
			ctx.skip();
			return;
		}
		const cam = await startFakeCamera();
		const s = await startServer('sqlite', { DATA_DIR: dataDir, RECORD_MIN_FREE_MB: '8', RECORD_CHECK_MS: '300' });
		const filler = path.join(recordDir, 'filler.bin');
		try {
			const admin = await s.adminToken();
			const id = await createCamera(s, admin, 'disk', cam.url, { recordMode: 'continuous', segmentSec: 2 });
			const state = async () => (await (await s.api(`/api/cameras/${id}`, { token: admin })).json()).recording;
			await until(async () => (await segments(s, admin, id)).segments.filter((x) => !x.open).length >= 5, 20_000, 'five segments');
			const before = (await segments(s, admin, id)).segments.filter((x) => !x.open);
			const footageMb = before.reduce((n, x) => n + x.size, 0) / MB;

			// Little room left: below RECORD_MIN_FREE_MB by half the footage. The oldest go, recording goes on.
			writeFileSync(filler, Buffer.alloc(Math.floor((freeMb(recordDir) - (8 - footageMb / 2)) * MB)));
			const after = await until(async () => {
				const list = (await segments(s, admin, id)).segments;
				return list.length && list[0].id !== before[0].id ? list : undefined;
			}, 10_000, 'oldest deleted');
			expect(after[0].id).toBeGreaterThan(before[0].id);
			expect(after.map((x) => x.id)).toEqual([...after.map((x) => x.id)].sort((a, b) => a - b));
			expect(before.filter((x) => x.id >= after[0].id).map((x) => x.id)).toEqual(before.map((x) => x.id).filter((x) => x >= after[0].id));
			expect((await state()).state).toBe('recording');

			// No room even without any footage: recording stops, and says why.
			rmSync(filler);
			writeFileSync(filler, Buffer.alloc(Math.floor((freeMb(recordDir) - 1) * MB)));
			const stopped = await until(async () => ((await state()).state === 'error' ? await state() : undefined), 15_000, 'recording stopped');
			expect(stopped.error).toMatch(/disk full/);

			// Room again: recording resumes by itself.
			rmSync(filler);
			await until(async () => (await state()).state === 'recording', 10_000, 'recording resumed');
			const resumedAt = Date.now();
			await until(async () => (await segments(s, admin, id)).segments.some((x) => Date.parse(x.start) >= resumedAt - 2000 && x.durationMs > 0), 10_000, 'new footage');
			expect(s.output()).toMatch(/disk full/);
		} finally {
			await s.stop();
			await cam.stop();
			execFileSync('umount', [recordDir]);
			rmSync(dataDir, { recursive: true, force: true });
		}
	});
});

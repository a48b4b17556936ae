// Weekly recording windows (document 004's "courses"): a weekday, a start
// time and a duration, in the server's time zone. A window may not cross
// midnight (it ends by 23:59:59) nor overlap another window of its camera.
import { EventEmitter } from 'node:events';
import { db } from '../db/client';
import { ApiError, badRequest, notFound } from '../http/api';

export interface Schedule {
	id: number;
	cameraId: string;
	weekday: number;
	startSec: number;
	durationSec: number;
}

export const SCHEDULE_FIELDS = ['weekday', 'start', 'durationSec'] as const;
const DAY = 86_400;
const TIME = /^([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/;

/** Emits the camera id whenever its schedules change. */
export const scheduleEvents = new EventEmitter<{ changed: [cameraId: string] }>();

const hms = (sec: number) => [Math.floor(sec / 3600), Math.floor(sec / 60) % 60, sec % 60].map((n) => String(n).padStart(2, '0')).join(':');

export function scheduleView(s: Schedule) {
	return { id: s.id, weekday: s.weekday, start: hms(s.startSec), end: hms(s.startSec + s.durationSec - 1), durationSec: s.durationSec };
}

function parse(body: Record<string, unknown>, current?: Schedule): Omit<Schedule, 'id' | 'cameraId'> {
	const weekday = body.weekday ?? current?.weekday;
	if (typeof weekday !== 'number' || !Number.isInteger(weekday) || weekday < 0 || weekday > 6) throw badRequest('weekday must be 0 (Sunday) to 6 (Saturday)');
	let startSec = current?.startSec;
	if (body.start !== undefined || !current) {
		const m = typeof body.start === 'string' ? TIME.exec(body.start) : null;
		if (!m) throw badRequest('start must be a time "HH:MM:SS"');
		startSec = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
	}
	const durationSec = body.durationSec ?? current?.durationSec;
	if (typeof durationSec !== 'number' || !Number.isInteger(durationSec) || durationSec < 1) throw badRequest('durationSec must be a whole number of seconds ≥ 1');
	if (startSec! + durationSec > DAY) throw badRequest('a window must end by 23:59:59 (it may not cross midnight)');
	return { weekday, startSec: startSec!, durationSec };
}

async function assertNoOverlap(cameraId: string, w: Omit<Schedule, 'id' | 'cameraId'>, exceptId?: number) {
	const others = await db.schedule.findMany({ where: { cameraId, weekday: w.weekday } });
	const clash = others.find((o) => o.id !== exceptId && o.startSec < w.startSec + w.durationSec && w.startSec < o.startSec + o.durationSec);
	if (clash) {
		const v = scheduleView(clash);
		throw new ApiError(409, `overlaps the window ${v.start}–${v.end} on weekday ${v.weekday} (schedule ${v.id})`);
	}
}

export function listSchedules(cameraId: string): Promise<Schedule[]> {
	return db.schedule.findMany({ where: { cameraId }, orderBy: [{ weekday: 'asc' }, { startSec: 'asc' }] });
}

export async function createSchedule(cameraId: string, body: Record<string, unknown>): Promise<Schedule> {
	const w = parse(body);
	await assertNoOverlap(cameraId, w);
	const s = await db.schedule.create({ data: { cameraId, ...w } });
	scheduleEvents.emit('changed', cameraId);
	return s;
}

async function getSchedule(cameraId: string, sid: string): Promise<Schedule> {
	const id = /^\d{1,9}$/.test(sid) ? Number(sid) : NaN;
	const s = Number.isNaN(id) ? null : await db.schedule.findFirst({ where: { id, cameraId } });
	if (!s) throw notFound('schedule not found');
	return s;
}

export async function updateSchedule(cameraId: string, sid: string, body: Record<string, unknown>): Promise<Schedule> {
	const current = await getSchedule(cameraId, sid);
	const w = parse(body, current);
	await assertNoOverlap(cameraId, w, current.id);
	const s = await db.schedule.update({ where: { id: current.id }, data: w });
	scheduleEvents.emit('changed', cameraId);
	return s;
}

export async function deleteSchedule(cameraId: string, sid: string) {
	const current = await getSchedule(cameraId, sid);
	await db.schedule.delete({ where: { id: current.id } });
	scheduleEvents.emit('changed', cameraId);
}

/** Whether `at` (server local time) falls in one of the windows. */
export function inWindow(schedules: readonly Schedule[], at: Date): boolean {
	const sec = at.getHours() * 3600 + at.getMinutes() * 60 + at.getSeconds();
	return schedules.some((s) => s.weekday === at.getDay() && s.startSec <= sec && sec < s.startSec + s.durationSec);
}

// What the recording endpoints share: ISO 8601 times from the query, the
// token to carry into the URLs they hand out, and files served with ranges.
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { ApiError, badRequest, notFound } from '../http/api';
import type { Principal } from '../auth/principal';

// Date.parse also takes things like "1" or "Dec 4": only ISO 8601 is accepted.
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 time from the query string; `fallback` when absent, else a 400. */
export function timeParam(url: URL, name: string, fallback?: Date): Date {
	const raw = url.searchParams.get(name);
	if (raw === null || raw === '') {
		if (fallback) return fallback;
		throw badRequest(`${name} is required (an ISO 8601 time)`);
	}
	const t = ISO.test(raw) ? Date.parse(raw) : NaN;
	if (Number.isNaN(t)) throw badRequest(`${name} must be an ISO 8601 time, e.g. 2026-12-04T08:00:00Z`);
	return new Date(t);
}

/** start and end from the query (end after start, at most `maxDays` apart); defaults: the last 24 hours. */
export function timeRange(url: URL, maxDays = 31): { start: Date; end: Date } {
	const end = timeParam(url, 'end', new Date());
	const start = timeParam(url, 'start', new Date(end.getTime() - 86_400_000));
	if (end <= start) throw badRequest('end must be after start');
	if (end.getTime() - start.getTime() > maxDays * 86_400_000) throw badRequest(`the range may span at most ${maxDays} days`);
	return { start, end };
}

/** "?token=…" for URLs handed to a client that came with a token (links can't send headers); "" for browser sessions. */
export const tokenQuery = (user: Principal) => (user.token ? `?token=${encodeURIComponent(user.token)}` : '');

/** A file on disk, whole or one byte range (players and download managers ask for ranges). */
export function fileResponse(file: string, request: Request, headers: Record<string, string>): Response {
	let size: number;
	try {
		size = statSync(file).size;
	} catch {
		throw notFound('file not found');
	}
	const base = { ...headers, 'accept-ranges': 'bytes', 'cache-control': 'private, max-age=3600' };
	const range = request.headers.get('range');
	let start = 0;
	let end = size - 1;
	if (range) {
		const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
		if (!m || (m[1] === '' && m[2] === '')) throw new ApiError(416, 'unsupported range', { 'content-range': `bytes */${size}` });
		if (m[1] === '') start = Math.max(0, size - Number(m[2]));
		else {
			start = Number(m[1]);
			if (m[2] !== '') end = Math.min(end, Number(m[2]));
		}
		if (start > end || start >= size) throw new ApiError(416, 'range not satisfiable', { 'content-range': `bytes */${size}` });
	}
	const body = size === 0 ? null : (Readable.toWeb(createReadStream(file, { start, end })) as ReadableStream);
	const length = size === 0 ? 0 : end - start + 1;
	if (!range) return new Response(body, { status: 200, headers: { ...base, 'content-length': String(length) } });
	return new Response(body, { status: 206, headers: { ...base, 'content-length': String(length), 'content-range': `bytes ${start}-${end}/${size}` } });
}

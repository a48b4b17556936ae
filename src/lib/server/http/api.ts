// The native API's error envelope, {"error": "…"}, and the small helpers every
// endpoint shares: one wrapper turns thrown ApiErrors into that envelope.
import { json, type RequestEvent } from '@sveltejs/kit';

export class ApiError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly headers: Record<string, string> = {}
	) {
		super(message);
	}
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (what = 'not found') => new ApiError(404, what);

export function errorResponse(status: number, message: string, headers: Record<string, string> = {}) {
	return json({ error: message }, { status, headers });
}

/** Wraps a handler so that errors answer in the API's envelope and never crash the server. */
export function endpoint<E extends RequestEvent>(fn: (event: E) => Promise<Response> | Response): (event: E) => Promise<Response> {
	return async (event: E) => {
		try {
			return await fn(event);
		} catch (e) {
			if (e instanceof ApiError) return errorResponse(e.status, e.message, e.headers);
			// The client went away while we waited (e.g. an HLS blocking reload): nobody to answer.
			if (event.request.signal.aborted) return new Response(null, { status: 499 });
			console.error(`${event.request.method} ${event.url.pathname}:`, e);
			return errorResponse(500, 'internal error');
		}
	};
}

/** The request body as a JSON object, or a 400. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
	let body: unknown;
	try {
		body = await request.json();
	} catch {
		throw badRequest('request body must be valid JSON');
	}
	if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('request body must be a JSON object');
	return body as Record<string, unknown>;
}

/** Rejects fields the endpoint doesn't know, so that a typo is an error, not a silent no-op. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]) {
	const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
	if (unknown.length) throw badRequest(`unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
}

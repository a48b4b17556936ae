import { json } from '@sveltejs/kit';
import { version } from '$lib/server/config';

export const GET = () => json({ ok: true, version });

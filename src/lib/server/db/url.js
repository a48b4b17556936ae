// Which database a DATABASE_URL names. Plain JS: used by the server and by scripts/db.
import path from 'node:path';

/**
 * @param {string} url `file:<path>` (SQLite) or `postgres(ql)://…`
 * @returns {{ provider: 'sqlite', file: string } | { provider: 'postgresql', url: string }}
 */
export function parseDatabaseUrl(url) {
	if (url.startsWith('file:')) {
		const file = url.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
		if (!file) throw new Error('DATABASE_URL: a file: URL needs a path, e.g. file:./data/vantage.db');
		return { provider: 'sqlite', file: path.resolve(file) };
	}
	if (/^postgres(ql)?:\/\//.test(url)) return { provider: 'postgresql', url };
	throw new Error(`DATABASE_URL must be a file: (SQLite) or postgresql:// URL, got "${url.split(':')[0]}:…"`);
}

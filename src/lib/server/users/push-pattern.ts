// Push rights (document 001's per-user "push"): which stream paths a user may
// publish to. A pattern is a comma-separated list of paths in which "*" stands
// for any run of characters: "*" is every stream, "site1/*" every stream under
// site1/, "door" that one stream. An empty pattern grants nothing.
const PART = /^[A-Za-z0-9_.*/-]{1,128}$/;

export function pushPatternProblem(value: unknown): string | null {
	if (typeof value !== 'string') return 'push must be a string of comma-separated stream patterns ("" for none, "*" for all)';
	if (value.length > 1024) return 'push must be at most 1024 characters';
	const parts = splitPattern(value);
	const bad = parts.find((p) => !PART.test(p));
	return bad === undefined ? null : `push pattern "${bad}" may use letters, digits, "_", "-", ".", "/" and "*"`;
}

const splitPattern = (pattern: string) =>
	pattern
		.split(',')
		.map((p) => p.trim().replace(/^\/+|\/+$/g, ''))
		.filter(Boolean);

const toRegExp = (part: string) => new RegExp(`^${part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** Whether the pattern lets its user publish to a stream known by any of these names (its path, camera name or id). */
export function pushAllowed(pattern: string, names: string[]): boolean {
	const parts = splitPattern(pattern).map(toRegExp);
	return names.some((n) => parts.some((re) => re.test(n)));
}

// A small own i18n: flat dictionaries per language, the language picked from a
// cookie (the switch) or Accept-Language / navigator.language, "{name}" placeholders.
import en from './en';
import vi from './vi';
import zh from './zh';

export type MessageKey = keyof typeof en;
export type Dictionary = Record<MessageKey, string>;

export const LANGUAGES = { en: 'English', vi: 'Tiếng Việt', zh: '中文' } as const;
export type Language = keyof typeof LANGUAGES;
export const LANGUAGE_COOKIE = 'vantage_lang';

const dictionaries: Record<Language, Dictionary> = { en, vi, zh };

export const isLanguage = (value: unknown): value is Language => typeof value === 'string' && Object.hasOwn(LANGUAGES, value);

/** The first supported language of an Accept-Language header (or navigator.languages), by quality; English otherwise. */
export function pickLanguage(accepted: string | readonly string[] | null | undefined): Language {
	const ranges =
		typeof accepted === 'string'
			? accepted
					.split(',')
					.map((part) => {
						const [tag, ...params] = part.trim().split(';');
						const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
						return { tag: tag.trim(), q: q === undefined ? 1 : Number(q) };
					})
					.filter((r) => r.tag && r.q > 0)
					.sort((a, b) => b.q - a.q)
					.map((r) => r.tag)
			: (accepted ?? []);
	for (const tag of ranges) {
		const base = tag.toLowerCase().split('-')[0];
		if (isLanguage(base)) return base;
	}
	return 'en';
}

/** The message for key in lang, with {placeholders} filled. */
export function translate(lang: Language, key: MessageKey, params?: Record<string, string | number>): string {
	const text = dictionaries[lang]?.[key] ?? en[key] ?? key;
	return params ? text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m)) : text;
}

/** The language of a request: the switch's cookie, else the browser's Accept-Language. */
export function requestLanguage(cookie: string | undefined, acceptLanguage: string | null): Language {
	return isLanguage(cookie) ? cookie : pickLanguage(acceptLanguage);
}

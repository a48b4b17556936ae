// t() for components: the language of the page being shown (the root layout's data.lang).
import { page } from '$app/state';
import { isLanguage, translate, type Language, type MessageKey } from './index';

/** The page's language, also for Intl formatting of dates and numbers. */
export function pageLanguage(): Language {
	const lang = page.data?.lang;
	return isLanguage(lang) ? lang : 'en';
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
	return translate(pageLanguage(), key, params);
}

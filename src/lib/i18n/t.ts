// t() for components: the language of the page being shown (the root layout's data.lang).
import { page } from '$app/state';
import { isLanguage, translate, type MessageKey } from './index';

export function t(key: MessageKey, params?: Record<string, string | number>): string {
	const lang = page.data?.lang;
	return translate(isLanguage(lang) ? lang : 'en', key, params);
}

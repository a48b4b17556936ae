// The app's languages: complete dictionaries, matching placeholders, the browser's choice.
import { describe, expect, it } from 'vitest';
import en from '../src/lib/i18n/en';
import vi from '../src/lib/i18n/vi';
import zh from '../src/lib/i18n/zh';
import { pickLanguage, requestLanguage, translate } from '../src/lib/i18n/index';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
	for (const [name, dict] of Object.entries({ vi, zh })) {
		it(`${name} has every English key, no other, with the same placeholders`, () => {
			expect(Object.keys(dict).sort()).toEqual(Object.keys(en).sort());
			for (const [key, text] of Object.entries(en)) {
				expect(placeholders((dict as Record<string, string>)[key]), `${name} ${key}`).toEqual(placeholders(text));
				expect((dict as Record<string, string>)[key].trim(), `${name} ${key}`).not.toBe('');
			}
		});
	}

	it('picks the first supported language of Accept-Language by quality', () => {
		expect(pickLanguage('vi-VN,vi;q=0.9,en;q=0.8')).toBe('vi');
		expect(pickLanguage('fr-FR, zh-CN;q=0.7, en;q=0.5')).toBe('zh');
		expect(pickLanguage('en;q=0.3, zh-TW;q=0.9')).toBe('zh');
		expect(pickLanguage('de, fr')).toBe('en');
		expect(pickLanguage(null)).toBe('en');
		expect(pickLanguage(['zh-Hans-CN', 'en'])).toBe('zh');
	});

	it('the switch\'s cookie wins over the browser; unknown cookies are ignored', () => {
		expect(requestLanguage('zh', 'vi')).toBe('zh');
		expect(requestLanguage('xx', 'vi')).toBe('vi');
	});

	it('fills placeholders', () => {
		expect(translate('vi', 'grid.tiles', { n: 9 })).toBe('9 ô');
		expect(translate('en', 'map.noMatch', { query: 'gate' })).toBe('No camera matches “gate”.');
	});
});

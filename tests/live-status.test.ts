// What the map, grid and kiosk show for a camera's status.
import { describe, expect, it } from 'vitest';
import { statusKind } from '../src/lib/live/status';

describe('statusKind', () => {
	it('shows recording only while the camera streams', () => {
		expect(statusKind({ state: 'online', recording: true })).toBe('recording');
		expect(statusKind({ state: 'error', recording: true })).toBe('offline');
		expect(statusKind({ state: 'online', recording: false })).toBe('online');
	});
	it('disabled wins over everything; no status is idle', () => {
		expect(statusKind({ state: 'online', recording: true, enabled: false })).toBe('disabled');
		expect(statusKind(undefined)).toBe('idle');
	});
});

// Real bytes captured for the unit tests (see fixtures/README.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { H264AnnexBSplitter, h265NalType, splitAnnexB } from '../../src/lib/server/media/h264/nal';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
export const fixtureText = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

/** The H.264 clip's access units (arrays of NAL units). */
export function h264AccessUnits(): Buffer[][] {
	const s = new H264AnnexBSplitter();
	return [...s.push(fixture('testsrc2-320x180-baseline.h264')), ...s.flush()];
}

/** The H.265 clip's access units: a new one at parameter sets/AUD/prefix SEI after a picture, or at a first slice segment. */
export function h265AccessUnits(): Buffer[][] {
	const aus: Buffer[][] = [];
	let au: Buffer[] = [];
	let hasVcl = false;
	for (const nal of splitAnnexB(fixture('testsrc2-320x180.h265'))) {
		const t = h265NalType(nal);
		const vcl = t < 32;
		const first = vcl && (nal[2] & 0x80) !== 0;
		if (hasVcl && (first || [32, 33, 34, 35, 39].includes(t))) {
			aus.push(au);
			au = [];
			hasVcl = false;
		}
		au.push(Buffer.from(nal));
		if (vcl) hasVcl = true;
	}
	if (au.length) aus.push(au);
	return aus;
}

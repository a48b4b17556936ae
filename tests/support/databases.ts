// The databases every API test runs on.
export { createPostgresDatabase } from '../../scripts/db/scratch.js';

export type Provider = 'sqlite' | 'postgresql';
export const PROVIDERS: Provider[] = ['sqlite', 'postgresql'];

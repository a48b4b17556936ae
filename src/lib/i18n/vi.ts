import type { Dictionary } from './index';

const vi: Partial<Dictionary> = {};
export default vi;

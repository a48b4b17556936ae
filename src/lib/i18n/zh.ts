import type { Dictionary } from './index';

const zh: Partial<Dictionary> = {};
export default zh;

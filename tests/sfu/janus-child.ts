// Run by janus.test.ts in a separate Node process: start Janus, print its pid,
// then wait to be killed (SIGKILL, so no cleanup code of ours runs).
import { JanusProcess } from '../../src/lib/server/sfu/janus-process';

const proc = new JanusProcess({ dir: process.argv[2] });
await proc.start();
process.stdout.write(`${proc.pid}\n`);
setInterval(() => {}, 1000);

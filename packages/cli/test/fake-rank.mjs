// Test helper: a stand-in worker for launcher.test.ts that behaves as FAKE_<RANK> says (ok, fail,
// fail-later, peer-lost, die, wait, bad-input) and prints a few lines. Not hyperclone: it trains nothing.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const rank = Number(process.env.RANK);
const mode = process.env[`FAKE_${rank}`] ?? 'ok';
process.stdout.write(`rank ${rank} of ${process.env.WORLD_SIZE} on port ${process.env.MASTER_PORT}\n`);
process.on('SIGINT', () => {
  process.stdout.write(`rank ${rank} saw SIGINT\n`);
  process.exit(130);
});
process.on('SIGTERM', () => {
  process.stdout.write(`rank ${rank} saw SIGTERM\n`);
  process.exit(143);
});
// handlers are in place: say so (a dying rank waits for rank 0 to be ready, however slow the machine)
const ready = (r) => join(process.env.FAKE_DIR, `ready-${r}`);
writeFileSync(ready(rank), '');
if (mode === 'ok') process.exit(0);
if (mode === 'bad-input') {
  process.stderr.write('hyperclone: error: --batch-size 3 does not divide into 2 processes\n');
  process.exit(2);
}
if (mode === 'fail') {
  process.stderr.write(`hyperclone: error: something broke on rank ${rank}\n`);
  process.exit(1);
}
if (mode === 'peer-lost') {
  // what a rank says when a collective fails because another rank left (backend-torch's process group)
  process.stderr.write(
    `hyperclone: error: c10d gloo allReduce failed on rank ${rank} of 2 (timeout 1800.0 s): Connection closed by peer; a peer rank may have died or stopped calling collectives\n`,
  );
  process.exit(1);
}
if (mode === 'fail-later')
  setTimeout(() => {
    process.stderr.write(`hyperclone: error: something broke on rank ${rank}\n`);
    process.exit(1);
  }, 300);
if (mode === 'die') {
  process.stdout.write('about to die\n');
  const poll = setInterval(() => existsSync(ready(0)) && (clearInterval(poll), process.kill(process.pid, 'SIGKILL')), 50);
}
if (mode === 'ignore-term') process.removeAllListeners('SIGTERM').on('SIGTERM', () => {});
setInterval(() => {}, 1000); // wait (for a signal)

// One rank of the all-reduce bandwidth measurement (benchmarks/data-parallel.ts starts two): times
// c10d Gloo all-reduce (sum, one flat bucket) of gradient-sized float32 buffers, and rank 0 also times
// a plain memory copy of the same size. Prints one JSON line. Not a training step.

import { hostTensor } from '@hyperclone/core';
import { createProcessGroup, createTorchBackend } from '@hyperclone/backend-torch';

const rank = Number(process.env.RANK);
const worldSize = Number(process.env.WORLD_SIZE);
const sizesMb = (process.env.SIZES_MB ?? '1,4,25,100').split(',').map(Number);
const reps = Number(process.env.REPS ?? 5);

const b = await createTorchBackend({ threads: 1 });
const group = createProcessGroup(b, { rank, worldSize, masterAddr: '127.0.0.1', masterPort: Number(process.env.MASTER_PORT) });

interface Row {
  sizeBytes: number;
  allReduceMs: number;
  copyMs: number | null;
}

/** Fastest of reps runs of fn, each after `before` (untimed). */
function fastest(fn: () => void, before: () => void = () => {}): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    before();
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

const rows: Row[] = [];
for (const mb of sizesMb) {
  const n = Math.round((mb * 1024 * 1024) / 4);
  const x = b.fromHost(hostTensor([n], new Float32Array(n).fill(rank + 1)));
  b.dispose(group.allReduce([x], 'sum', { bucketBytes: n * 4 })); // warm-up (connections, allocations)
  group.barrier();
  // each run starts after a barrier, so it times the exchange and not the other rank's lateness
  const allReduceMs = fastest(
    () => b.dispose(group.allReduce([x], 'sum', { bucketBytes: n * 4 })),
    () => group.barrier(),
  );
  // a plain copy of the same bytes in memory (what one rank's share of the exchange would cost locally)
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  const copyMs = rank === 0 ? fastest(() => dst.set(src)) : null;
  b.dispose(x);
  rows.push({ sizeBytes: n * 4, allReduceMs, copyMs });
}
group.barrier();
group.close();
if (rank === 0) process.stdout.write(`${JSON.stringify({ worldSize, reps, rows })}\n`);

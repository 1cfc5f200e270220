// Test helper: one rank of a real c10d process group, run as its own OS process by process-group.test.ts;
// it runs one scenario (SCENARIO) and prints a JSON line of results. Not a test itself.

import { hostTensor, shardLayout } from '@hyperclone/core';
import { createProcessGroup, createTorchBackend } from '../src/index.js';

const rank = Number(process.env.RANK);
const worldSize = Number(process.env.WORLD_SIZE);
const scenario = process.env.SCENARIO ?? 'collectives';
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 30_000);

const b = await createTorchBackend({ threads: 1 });
const report = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

// joining waits long (a loaded machine starts the two processes seconds apart); collectives wait timeoutMs
const group = createProcessGroup(b, {
  rank,
  worldSize,
  masterAddr: '127.0.0.1',
  masterPort: Number(process.env.MASTER_PORT),
  timeoutMs,
  connectTimeoutMs: 120_000,
});
const host = (t: Parameters<typeof b.toHost>[0]) => Array.from(b.toHost(t).data);

if (scenario === 'collectives') {
  // rank r holds (r + 1) * [1, 2, ...]: sums and means of two ranks are exact in float32
  const shapes = [[2, 3], [5], [1], [4, 4]];
  const xs = shapes.map((shape, k) => {
    const n = shape.reduce((a, d) => a * d, 1);
    return b.fromHost(
      hostTensor(
        shape,
        Float32Array.from({ length: n }, (_, i) => (rank + 1) * (i + 1 + 10 * k)),
      ),
    );
  });
  const ints = b.fromHost(hostTensor([3], Int32Array.of(rank, 7 * rank, -rank)));
  const before = xs.map(host);
  const sum = group.allReduce(xs, 'sum', { bucketBytes: 40 }); // several buckets, one tensor bigger than a bucket
  const avg = group.allReduce(xs, 'avg');
  const max = group.allReduce([...xs, ints], 'max');
  const intSum = group.allReduce([ints], 'sum');
  const bcast = b.fromHost(hostTensor([2, 2], Float32Array.of(rank, rank + 0.5, -rank, 100 * rank)));
  group.broadcast([bcast], 1);
  group.barrier();
  if (rank === 0) group.store.set('greeting', 'from rank 0');
  const added = group.store.add('counter', rank + 1);
  group.barrier();
  report({
    rank,
    inputsUnchanged: xs.every((x, i) => JSON.stringify(host(x)) === JSON.stringify(before[i])),
    sum: sum.map(host),
    sumShapes: sum.map((t) => b.shape(t)),
    avg: avg.map(host),
    max: max.map(host),
    intSum: host(intSum[0]!),
    broadcast: host(bcast),
    greeting: group.store.get('greeting'),
    counter: group.store.add('counter', 0),
    added,
    hasMissing: group.store.check(['never-set']),
  });
  group.barrier();
  group.close();
} else if (scenario === 'sharded') {
  // rank r holds (r + 1) * v, v = [1 + 10k, 2 + 10k, ...] for tensor k: sums and means are exact in float32.
  // Buckets of at most 11 elements: [t0, t1], [t2], [t3] (11, 1 and 16 elements): pieces of 6, 1 and 8 per rank,
  // the last rank's padded with zeros.
  const shapes = [[2, 3], [5], [1], [4, 4]];
  const numels = shapes.map((s) => s.reduce((a, d) => a * d, 1));
  const xs = shapes.map((shape, k) =>
    b.fromHost(
      hostTensor(
        shape,
        Float32Array.from({ length: numels[k]! }, (_, i) => (rank + 1) * (i + 1 + 10 * k)),
      ),
    ),
  );
  const layout = shardLayout(numels, worldSize, rank, 11);
  const before = xs.map(host);
  const sum = group.reduceScatter(xs, 'sum', layout);
  const avg = group.reduceScatter(xs, 'avg', layout);
  // gather the averaged shards into zeroed tensors of the same shapes
  const into = shapes.map((shape, k) => b.fromHost(hostTensor(shape, new Float32Array(numels[k]!))));
  group.allGather(avg, into, layout);
  let refused = '';
  try {
    group.allGather(b.fromHost(hostTensor([3], new Float32Array(3))), into, layout);
  } catch (e) {
    refused = (e as Error).message;
  }
  report({
    rank,
    layout,
    inputsUnchanged: xs.every((x, i) => JSON.stringify(host(x)) === JSON.stringify(before[i])),
    sum: host(sum),
    avg: host(avg),
    gathered: into.map(host),
    gatheredShapes: into.map((t) => b.shape(t)),
    refused,
  });
  group.barrier();
  group.close();
} else if (scenario === 'silent-peer') {
  // rank 1 joins and then makes no collective call: rank 0's barrier must time out
  if (rank === 1) await new Promise((resolve) => setTimeout(resolve, timeoutMs + 1_500));
  else runUntilError(() => group.barrier());
} else if (scenario === 'peer-dies') {
  // both ranks all-reduce once; then rank 1 is killed (SIGKILL) and rank 0 all-reduces again
  const x = b.fromHost(hostTensor([1024], new Float32Array(1024).fill(rank)));
  b.dispose(group.allReduce([x], 'sum'));
  if (rank === 1) process.kill(process.pid, 'SIGKILL');
  else runUntilError(() => group.allReduce([x], 'avg'));
}

function runUntilError(fn: () => void): void {
  const startMs = Date.now();
  try {
    fn();
    report({ rank, error: null });
  } catch (e) {
    const elapsedMs = Date.now() - startMs;
    let again = '';
    try {
      group.barrier();
    } catch (e2) {
      again = (e2 as Error).message;
    }
    report({ rank, error: (e as Error).message, elapsedMs, again });
  }
  group.close();
}

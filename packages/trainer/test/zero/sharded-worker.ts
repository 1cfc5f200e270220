// Test helper: one rank of a 2-process Gloo group, run by sharded-adamw.test.ts. It builds tiny-llama's
// parameters, AdamW and ShardedAdamW (stage 1 and 2) side by side, measures their moments in the engine's
// tensor table, takes three steps with each and prints a JSON line of what it saw. Not a test itself.

import { createProcessGroup, createTorchBackend } from '@hyperclone/backend-torch';
import { getPreset, hostTensor, paramSpec, Rng, type StateDict, type Tensor } from '@hyperclone/core';
import { AdamW } from '../../src/model/adamw.js';
import { ShardedAdamW } from '../../src/model/sharded-adamw.js';

const rank = Number(process.env.RANK);
const b = await createTorchBackend({ threads: 1 });
const group = createProcessGroup(b, {
  rank,
  worldSize: 2,
  masterAddr: '127.0.0.1',
  masterPort: Number(process.env.MASTER_PORT),
  connectTimeoutMs: 120_000,
});
const specs = paramSpec(getPreset('tiny-llama'));
const options = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
const host = (seed: string, scale: number) =>
  specs.map((s) => new Rng(7, `${seed}:${s.name}`).fillNormal(new Float32Array(s.shape.reduce((a, d) => a * d, 1)), scale));
const weights = host('w', 0.02);
const upload = (data: Float32Array[]) =>
  Object.fromEntries(specs.map((s, i) => [s.name, b.keep(b.fromHost(hostTensor(s.shape, data[i]!)))]));
const read = (params: Record<string, Tensor>) => specs.map((s) => Array.from(b.toHost(params[s.name]!).data));
const bits = (xs: number[][]) => xs.map((x) => Array.from(new Uint32Array(Float32Array.from(x).buffer)));
const stateBits = (sd: StateDict) =>
  Object.fromEntries([...sd].sort(([a], [c]) => a.localeCompare(c)).map(([k, t]) => [k, bits([Array.from(t.data)])[0]]));

/** liveBytes added by making an optimizer: its moments, measured in the engine's table. */
function momentBytes(make: () => { dispose(): void }): number {
  const before = b.liveBytes();
  const o = make();
  const bytes = b.liveBytes() - before;
  o.dispose();
  return bytes;
}

const report: Record<string, unknown> = { rank };
report['weightBytes'] = specs.reduce((a, s) => a + 4 * s.shape.reduce((x, d) => x * d, 1), 0);
report['adamwBytes'] = momentBytes(() => new AdamW(b, specs, options));
report['shardedBytes'] = momentBytes(() => new ShardedAdamW(b, specs, options, group, 1));

// the same averaged gradients on both ranks (rank-independent seeds), three steps each way
const grads = [1, 2, 3].map((k) => host(`g${k}`, 1).map((d, i) => b.keep(b.fromHost(hostTensor(specs[i]!.shape, d)))));
const plain = upload(weights);
const adamw = new AdamW(b, specs, options);
for (const g of grads) adamw.step(plain, g, 1e-2);
for (const stage of [1, 2] as const) {
  const params = upload(weights);
  const sharded = new ShardedAdamW(b, specs, options, group, stage);
  for (const g of grads) {
    if (stage === 1) sharded.step(params, g, 1e-2);
    else {
      // stage 2 takes the rank's shard: a reduce-scatter of the same gradient on both ranks, averaged, is that gradient's shard
      const shard = group.reduceScatter(g, 'avg', sharded.layout);
      sharded.step(params, [shard], 1e-2);
      b.dispose(shard);
    }
  }
  report[`stage${stage}SameParams`] = JSON.stringify(bits(read(params))) === JSON.stringify(bits(read(plain)));
  const state = sharded.stateDict(); // a collective
  report[`stage${stage}SameState`] = JSON.stringify(stateBits(state)) === JSON.stringify(stateBits(adamw.stateDict()));
  // a state saved by another number of ranks (here: AdamW's, one process) loads into the shards and gathers back
  const reloaded = new ShardedAdamW(b, specs, options, group, stage);
  reloaded.loadStateDict(adamw.stateDict());
  report[`stage${stage}Reloaded`] = JSON.stringify(stateBits(reloaded.stateDict())) === JSON.stringify(stateBits(adamw.stateDict()));
  let refused = '';
  try {
    reloaded.loadStateDict(new Map([['step', hostTensor([1], Float32Array.of(1))]]));
  } catch (e) {
    refused = (e as Error).message;
  }
  report['refused'] = refused;
  sharded.dispose();
  reloaded.dispose();
}
process.stdout.write(`${JSON.stringify(report)}\n`);
group.barrier();
group.close();
b.close();

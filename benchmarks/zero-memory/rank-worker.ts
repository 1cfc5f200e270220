// One rank of benchmarks/zero-memory.ts: trains a few steps of a model with the trainer's step and reductions
// under one ZeRO stage, counting every allocation libtorch makes from the start, and prints a JSON line: the
// moments' bytes in the tensor table, the allocator's peak per rank, and the memory plan's numbers. Not a benchmark itself.

import { createProcessGroup, createTorchBackend } from '@hyperclone/backend-torch';
import { checkpointEvery, getPreset, hostTensor, paramSpec, rankState, Rng, withVocab, type Tensor } from '@hyperclone/core';
import { AdamW, computeGradients, disposeStats, ranksOf, readStepValues, ShardedAdamW, type Optimizer } from '@hyperclone/trainer';

const env = (name: string) => process.env[name]!;
const rank = Number(env('RANK'));
const worldSize = Number(env('WORLD_SIZE'));
const stage = Number(env('ZERO_STAGE')) as 0 | 1 | 2;
const batch = Number(env('BATCH'));
const seqLen = Number(env('SEQ'));
const steps = Number(env('STEPS'));
const checkpointing = env('CHECKPOINTING');
const model = withVocab(getPreset(env('MODEL')), 257);

const b = await createTorchBackend({ threads: 1 });
b.trackMemory(); // from here every allocation of this rank counts
const group = createProcessGroup(b, {
  rank,
  worldSize,
  masterAddr: '127.0.0.1',
  masterPort: Number(env('MASTER_PORT')),
  connectTimeoutMs: 120_000,
});
const ranks = ranksOf(group, b);
const specs = paramSpec(model);
const names = specs.map((s) => s.name);
const rng = new Rng(1, 'weights');
const params: Record<string, Tensor> = Object.fromEntries(
  specs.map((s) => {
    const data = new Float32Array(s.shape.reduce((a, d) => a * d, 1));
    rng.fillNormal(data, s.init === 'ones' ? 0 : 0.02, s.init === 'ones' ? 1 : 0);
    return [s.name, b.keep(b.fromHost(hostTensor(s.shape, data)))];
  }),
);
const adamw = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
const before = b.liveBytes();
const optimizer: Optimizer = stage === 0 ? new AdamW(b, specs, adamw) : new ShardedAdamW(b, specs, adamw, group, stage);
const momentBytes = b.liveBytes() - before;
const rows = batch / worldSize;
const every = checkpointEvery(checkpointing);
const zero2 = optimizer instanceof ShardedAdamW && optimizer.stage === 2;
const shape = {
  batchSize: rows,
  seqLen,
  gradClip: 1,
  checkpointEvery: every,
  reduceGradients: (zero2 ? ranks.reduceShardedGradients : ranks.reduceGradients)!,
  ...(zero2 ? { reduceMicroBatch: ranks.reduceScatterMicroBatch(() => (optimizer as ShardedAdamW).layout)! } : {}),
};
const tokens = new Rng(2 + rank, 'tokens');
const batchOf = () => ({
  inputs: Int32Array.from({ length: rows * seqLen }, () => tokens.int(model.vocabSize)),
  targets: Int32Array.from({ length: rows * seqLen }, () => tokens.int(model.vocabSize)),
});
let peakBytes = 0;
const ms: number[] = [];
const losses: number[] = [];
for (let step = 1; step <= steps; step++) {
  if (step === 2) b.resetPeakMemory(); // the first step allocates caches (causal masks) once
  const t0 = performance.now();
  const { grads, stats } = computeGradients(b, model, params, names, [batchOf()], [step], shape);
  optimizer.step(params, grads, 1e-3);
  b.dispose(grads);
  losses.push(readStepValues(b, stats).loss);
  disposeStats(b, stats);
  ms.push(performance.now() - t0);
  if (step >= 2) peakBytes = b.allocatorStats().peakBytes;
}
const plan = rankState(model, rows, seqLen, { zeroStage: stage, worldSize, checkpointEvery: every });
process.stdout.write(
  `${JSON.stringify({
    rank,
    momentBytes,
    peakBytes,
    steadyBytes: b.allocatorStats().allocatedBytes,
    plan,
    planBytes: plan.weights + plan.gradients + plan.moments + plan.activations + plan.buffers,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    msPerStep: ms.slice(1).sort((x, y) => x - y)[Math.floor((ms.length - 1) / 2)],
    losses,
  })}\n`,
);
group.barrier();
group.close();
b.close();

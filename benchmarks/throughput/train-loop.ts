// Times training steps of hyperclone on any Backend: core forward + crossEntropyLoss under valueAndGrad, the
// global-norm clip, fused AdamW. Not the trainer (no data loader, schedule, eval or checkpoints): the bare
// step, to measure an engine (cli-train.ts times the trainer itself).

import {
  crossEntropyLoss,
  disposeParams,
  forward,
  fusedOps,
  hostTensor,
  multiTensorOps,
  paramSpec,
  Rng,
  uploadParams,
  zeros,
  type AdamWHyper,
  type Backend,
  type ModelConfig,
  type StateDict,
  type Tensor,
} from '@hyperclone/core';

export interface StepTiming {
  steps: number;
  wallSec: number;
  stepMs: number;
  tokensPerSec: number;
  finalLoss: number;
}

export interface LoopOptions {
  batch: number;
  seq: number;
  steps: number;
  warmup: number;
  lr?: number;
  seed?: number;
  /** Global gradient-norm clip between backward and the update (0: none), like the trainer's. */
  gradClip?: number;
}

/** A backend that can run AdamW over many tensors in one call (the torch backend's adamwAll). */
interface AdamWAll {
  adamwAll(params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], hp: AdamWHyper): void;
}

function hasAdamWAll(b: Backend): b is Backend & AdamWAll {
  return typeof (b as Partial<AdamWAll>).adamwAll === 'function';
}

/** One fixed random batch (B, T+1) split into inputs and next-token targets, like the PyTorch reference. */
function randomBatch(b: Backend, config: ModelConfig, B: number, T: number, seed: number): { tokens: Tensor; targets: Tensor } {
  const rng = new Rng(seed, 'throughput-batch');
  const stream = Int32Array.from({ length: B * (T + 1) }, () => rng.int(config.vocabSize));
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let r = 0; r < B; r++) {
    inputs.set(stream.subarray(r * (T + 1), r * (T + 1) + T), r * T);
    targets.set(stream.subarray(r * (T + 1) + 1, (r + 1) * (T + 1)), r * T);
  }
  return { tokens: b.keep(b.fromHost(hostTensor([B, T], inputs))), targets: b.keep(b.fromHost(hostTensor([B, T], targets))) };
}

/** Trains `warmup` untimed then `steps` timed AdamW steps; syncs the device before reading the clock. */
export function timeTrainingSteps(b: Backend, config: ModelConfig, weights: StateDict, o: LoopOptions): StepTiming {
  const specs = paramSpec(config);
  const names = specs.map((s) => s.name);
  const params = uploadParams(b, config, weights) as Record<string, Tensor>;
  const m = specs.map((s) => b.keep(b.fromHost(zeros(s.shape))));
  const v = specs.map((s) => b.keep(b.fromHost(zeros(s.shape))));
  const { tokens, targets } = randomBatch(b, config, o.batch, o.seq, o.seed ?? 0);
  const hyper = { lr: o.lr ?? 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8 };
  let lastLoss: Tensor | null = null;

  const step = (n: number): void => {
    const loss = b.tidy(() => {
      const lossOf = (xs: Tensor[]): Tensor =>
        crossEntropyLoss(b, forward(b, config, Object.fromEntries(names.map((name, i) => [name, xs[i]!])), tokens).logits, targets);
      const { value, grads } = b.valueAndGrad(
        lossOf,
        names.map((name) => params[name]!),
      );
      clip(b, grads, o.gradClip ?? 0);
      adamwStep(
        b,
        specs.map((s) => s.decay),
        names.map((name) => params[name]!),
        grads,
        m,
        v,
        { ...hyper, weightDecay: 0.1, step: n },
        (i, p) => {
          params[names[i]!] = p;
        },
      );
      return value;
    });
    if (lastLoss) b.dispose(lastLoss);
    lastLoss = b.keep(loss); // no host read per step: reading would stall a GPU queue
  };

  try {
    for (let n = 1; n <= o.warmup; n++) step(n);
    b.sync();
    const started = performance.now();
    for (let n = o.warmup + 1; n <= o.warmup + o.steps; n++) step(n);
    b.sync();
    const wallSec = (performance.now() - started) / 1000;
    const finalLoss = lastLoss ? b.toHost(lastLoss).data[0]! : NaN;
    return { steps: o.steps, wallSec, stepMs: (1000 * wallSec) / o.steps, tokensPerSec: (o.batch * o.seq * o.steps) / wallSec, finalLoss };
  } finally {
    disposeParams(b, params);
    b.dispose([...m, ...v, tokens, targets, ...(lastLoss ? [lastLoss] : [])]);
  }
}

/** Clips the global norm in place: one device call where the engine has it, else composed with a host read. */
function clip(b: Backend, grads: Tensor[], maxNorm: number): void {
  if (maxNorm <= 0) return;
  const ops = multiTensorOps(b);
  if (ops) {
    ops.clipGradNorm(grads, maxNorm, 1); // Σg² is left to the enclosing tidy
    return;
  }
  const sumSq = grads
    .map((g) =>
      b.sum(
        b.mul(g, g),
        b.shape(g).map((_, i) => i),
      ),
    )
    .reduce((a, x) => b.add(a, x)); // ()
  const norm = Math.sqrt(b.toHost(sumSq).data[0]!);
  const scale = Math.min(maxNorm / (norm + 1e-6), 1);
  if (scale < 1) grads.splice(0, grads.length, ...grads.map((g) => b.mul(g, b.scalar(scale))));
}

/** AdamW with decay only where `decay[i]`: one call per group on torch, else the fused op per tensor. */
function adamwStep(
  b: Backend,
  decay: boolean[],
  ps: Tensor[],
  grads: Tensor[],
  m: Tensor[],
  v: Tensor[],
  hp: AdamWHyper,
  setParam: (i: number, p: Tensor) => void,
): void {
  if (hasAdamWAll(b)) {
    for (const group of [true, false]) {
      const idx = decay.flatMap((d, i) => (d === group ? [i] : []));
      const pick = (ts: Tensor[]) => idx.map((i) => ts[i]!);
      b.adamwAll(pick(ps), pick(grads), pick(m), pick(v), { ...hp, weightDecay: group ? hp.weightDecay : 0 });
    }
    return;
  }
  const adamw = fusedOps(b).adamw;
  ps.forEach((p, i) => {
    const [p2, m2, v2] = adamw(p, grads[i]!, m[i]!, v[i]!, { ...hp, weightDecay: decay[i] ? hp.weightDecay : 0 });
    for (const [old, next, set] of [
      [p, p2, (t: Tensor) => setParam(i, t)],
      [m[i]!, m2, (t: Tensor) => (m[i] = t)],
      [v[i]!, v2, (t: Tensor) => (v[i] = t)],
    ] as const) {
      if (next === old) continue;
      b.keep(next);
      b.dispose(old);
      set(next);
    }
  });
}

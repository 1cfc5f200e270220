// One causal attention layer on CPU, forward and backward, two ways in alternating rounds: the torch backend's
// attention node (native/attention-cpu.cpp) and the same composition in PyTorch with libtorch's own ops
// (baddbmm with the causal bias, softmax, bmm; autograd's backward), both on the layout a model hands them
// (q, k, v as transposed views of (B, T, H, D)), PyTorch with the backend's host-memory setting. Not a model
// benchmark (throughput.ts).
//
//   npx tsx --conditions=@hyperclone/source benchmarks/attention-cpu.ts [--batch 8] [--heads 8] [--seq 256]
//     [--head-dim 32] [--threads 2] [--iters 20] [--rounds 5] [--python /usr/bin/python3] [--out FILE.json]

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { createTorchBackend, type TorchBackend } from '@hyperclone/backend-torch';
import type { Tensor } from '@hyperclone/core';
import { int, readFlags, string } from './flags.js';

const flags = readFlags('benchmarks/attention-cpu.ts', {
  batch: int(8),
  heads: int(8),
  seq: int(256),
  'head-dim': int(32),
  threads: int(Math.min(2, availableParallelism())),
  iters: int(20),
  rounds: int(5),
  python: string('/usr/bin/python3'),
  out: string('benchmarks/results/attention-cpu.json'),
});
const o = {
  batch: flags.batch,
  heads: flags.heads,
  seq: flags.seq,
  headDim: flags['head-dim'],
  threads: flags.threads,
  iters: flags.iters,
  rounds: flags.rounds,
  python: flags.python,
  out: resolve(flags.out),
};
const scale = 1 / Math.sqrt(o.headDim);

/** FLOPs of the layer's GEMMs, forward and backward, over the full (T, T) scores (what a plain composition computes). */
const gemmFlops = 6 * 2 * o.batch * o.heads * o.seq * o.seq * o.headDim;

const PROGRAM = `
import json, math, sys, time, torch
a = json.loads(sys.argv[1])
torch.set_num_threads(a["threads"])
B, H, T, D = a["batch"], a["heads"], a["seq"], a["headDim"]
g = torch.Generator().manual_seed(0)
q, k, v = (torch.randn(B, T, H, D, generator=g).transpose(1, 2).requires_grad_(True) for _ in range(3))
w = torch.randn(B, H, T, D, generator=g)
bias = torch.zeros(T, T).masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), torch.finfo(torch.float32).min)
def once():
    q3, kT, v3 = q.reshape(-1, T, D), k.transpose(-2, -1).reshape(-1, D, T), v.reshape(-1, T, D)
    probs = torch.baddbmm(bias, q3, kT, beta=1.0, alpha=a["scale"]).softmax(-1)
    (torch.bmm(probs, v3).view(B, H, T, D) * w).sum().backward()
    q.grad = k.grad = v.grad = None
for _ in range(3): once()
t = time.perf_counter()
for _ in range(a["iters"]): once()
print(json.dumps({"ms": (time.perf_counter() - t) / a["iters"] * 1e3, "torch": torch.__version__}))
`;

const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=2147483647';

function timePytorch(): { ms: number; torch: string } {
  const args = JSON.stringify({ ...o, scale });
  // the torch backend's host-memory setting (retainHostMemory) given to PyTorch through glibc's tunables, so the
  // two differ in their kernels only, not in whether large activations are mmapped afresh
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', GLIBC_TUNABLES: MALLOC_TUNABLES };
  const run = spawnSync(o.python, ['-c', PROGRAM, args], { encoding: 'utf8', env });
  if (run.status !== 0) throw new Error(`the PyTorch side failed (${o.python}):\n${run.stderr.trim().split('\n').slice(-4).join('\n')}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ms: number; torch: string };
}

function timeNode(b: TorchBackend): number {
  const { batch: B, heads: H, seq: T, headDim: D } = o;
  const random = (n: number): Float32Array => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
  const view = (): Tensor => b.transpose(b.fromHost({ dtype: 'float32', shape: [B, T, H, D], data: random(B * T * H * D) }), [0, 2, 1, 3]);
  const [q, k, v] = [view(), view(), view()].map((t) => b.keep(t)) as [Tensor, Tensor, Tensor];
  const w = b.keep(b.fromHost({ dtype: 'float32', shape: [B, H, T, D], data: random(B * H * T * D) }));
  const once = (): void => {
    b.tidy(() => {
      b.valueAndGrad(([q, k, v]) => b.sum(b.mul(b.fused.attention!(q!, k!, v!, { scale, causal: true }), w), [0, 1, 2, 3]), [q, k, v]);
      return []; // the gradients are computed (libtorch runs eagerly on CPU) and freed with the scope
    });
  };
  for (let i = 0; i < 3; i++) once();
  const started = performance.now();
  for (let i = 0; i < o.iters; i++) once();
  const ms = (performance.now() - started) / o.iters;
  b.dispose([q, k, v, w]);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const backend = await createTorchBackend({ device: 'cpu', threads: o.threads });
const rounds: { node: number; pytorch: number }[] = [];
let torchVersion = '';
console.log(`attention, B${o.batch} x H${o.heads} x T${o.seq} x D${o.headDim}, causal, forward + backward, ${o.threads} threads`);
for (let round = 1; round <= o.rounds; round++) {
  // alternate which side goes first, so neither always runs on a machine the other just warmed
  const order = round % 2 === 1 ? ['node', 'pytorch'] : ['pytorch', 'node'];
  const r = { node: 0, pytorch: 0 };
  for (const side of order) {
    if (side === 'node') r.node = timeNode(backend);
    else {
      const p = timePytorch();
      r.pytorch = p.ms;
      torchVersion = p.torch;
    }
  }
  rounds.push(r);
  console.log(
    `  round ${round}: node ${r.node.toFixed(1)} ms, libtorch ops (PyTorch) ${r.pytorch.toFixed(1)} ms, ratio ${(r.pytorch / r.node).toFixed(2)}x`,
  );
}
backend.close();
const summary = {
  nodeMs: median(rounds.map((r) => r.node)),
  pytorchMs: median(rounds.map((r) => r.pytorch)),
  speedupPerRoundMedian: median(rounds.map((r) => r.pytorch / r.node)),
};
console.log(
  `median: node ${summary.nodeMs.toFixed(1)} ms, libtorch ops ${summary.pytorchMs.toFixed(1)} ms; ` +
    `speed-up per round, median ${summary.speedupPerRoundMedian.toFixed(2)}x; GEMM FLOPs of the full scores ${(gemmFlops / 1e9).toFixed(2)} G`,
);
mkdirSync(dirname(o.out), { recursive: true });
const command = `benchmarks/attention-cpu.ts ${process.argv.slice(2).join(' ')}`.replace(o.out, relative(process.cwd(), o.out));
writeFileSync(
  o.out,
  `${JSON.stringify({ command, date: new Date().toISOString(), load: loadavg(), engine: backend.engine, pytorch: torchVersion, options: { ...o, out: relative(process.cwd(), o.out) }, gemmFlops, rounds, summary }, null, 1)}\n`,
);
console.log(`wrote ${relative(process.cwd(), o.out)}`);

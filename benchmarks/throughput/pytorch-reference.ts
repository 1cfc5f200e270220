// Runs the plain PyTorch reference (benchmarks/reference/gpt.py, train_steps) as a subprocess and reads its JSON.
// Not a PyTorch installation check beyond a clear error: Debian's python3-torch or a wheel must be there.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '@hyperclone/core';

export interface ReferenceResult {
  impl: string;
  torch: string;
  device: string;
  dtype: string;
  params: number;
  batch: number;
  seq: number;
  steps: number;
  wallSec: number;
  stepMs: number;
  tokensPerSec: number;
  finalLoss: number;
}

export interface ReferenceOptions {
  python: string;
  config: ModelConfig;
  batch: number;
  seq: number;
  steps: number;
  warmup: number;
  threads: number;
  device: string;
  /** 'float32' on CPU; 'bfloat16' runs the forward under CUDA autocast. */
  dtype: 'float32' | 'bfloat16';
  /** clip_grad_norm_ max norm between backward and the update (0: none). */
  gradClip: number;
  /** torch.compile the model (PyTorch 2.x). */
  compile?: boolean;
  /** Where gpt.py lives (default: benchmarks/reference next to this file's folder). */
  referenceDir?: string;
}

const PROGRAM = `
import json, sys, torch
args = json.loads(sys.argv[1])
sys.path.insert(0, args["dir"])
import gpt
torch.set_num_threads(args["threads"])
gpt.train_steps(args["config"], args["batch"], args["seq"], args["steps"], device=args["device"], dtype=args["dtype"], warmup_steps=args["warmup"], grad_clip=args["gradClip"], compile=args["compile"])
`;

export function runPytorchReference(o: ReferenceOptions): ReferenceResult {
  const dir = o.referenceDir ?? fileURLToPath(new URL('../reference/', import.meta.url));
  const args = {
    dir,
    config: o.config,
    batch: o.batch,
    seq: o.seq,
    steps: o.steps,
    warmup: o.warmup,
    threads: o.threads,
    device: o.device,
    dtype: o.dtype,
    gradClip: o.gradClip,
    compile: o.compile ?? false,
  };
  const run = spawnSync(o.python, ['-c', PROGRAM, JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (run.error)
    throw new Error(`cannot run ${o.python} for the PyTorch reference (${run.error.message}); install python3-torch or pass --python`);
  if (run.status !== 0)
    throw new Error(`the PyTorch reference failed (exit ${run.status}):\n${run.stderr.trim().split('\n').slice(-8).join('\n')}`);
  const line = run.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (!line) throw new Error(`the PyTorch reference printed no JSON result:\n${run.stdout.slice(-2000)}`);
  return JSON.parse(line) as ReferenceResult;
}

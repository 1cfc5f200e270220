// `hyperclone train --zero-stage 1|2` on 2 and 4 processes (Gloo, 1 thread each): the unsharded data-parallel
// loss trace within 1e-5 over 20 steps, one logical checkpoint (ZeRO-1's moments are the data-parallel run's
// bit for bit) that resumes on another number of ranks with the same trace, and the bad input that is one line.
// Not the optimizer's arithmetic (trainer's sharded-adamw.test.ts) nor the plan (dry-run.test.ts).

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFile } from '@hyperclone/core';
import { expect, it } from 'vitest';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';
import { hyperclone } from './run-cli.js';
import { ok, shakespeareData, torchTrain, trace, type TraceRow } from './train-runs.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-zero-'));
const data = shakespeareData(root);

/** 20 steps from seed 3, the traces compared here, checkpointed at 10 and 20; `extra` after them. */
const run = (out: string, extra: string[] = []) =>
  torchTrain(data, out, ['--steps', '20', '--seed', '3', '--checkpoint-every', '10', '--keep-last', '2', ...extra]);

/** The largest difference of loss or gradient norm over the steps (the steps must match). */
function worst(got: TraceRow[], want: TraceRow[]): number {
  expect(got.map((r) => r.step)).toEqual(want.map((r) => r.step));
  return Math.max(...got.map((r, i) => Math.max(Math.abs(r.loss - want[i]!.loss), Math.abs(r.gradNorm - want[i]!.gradNorm))));
}

/** Every tensor of a checkpoint's optimizer.safetensors, by name. */
function moments(checkpoint: string): Map<string, Float32Array> {
  const file = SafetensorsFile.open(join(checkpoint, 'optimizer.safetensors'));
  try {
    return new Map([...file.entries.keys()].map((name) => [name, file.read(name).data as Float32Array]));
  } finally {
    file.close();
  }
}

describeTorch('hyperclone train --zero-stage (Gloo)', () => {
  it('ZeRO-1 and ZeRO-2 on 2 processes give the data-parallel trace within 1e-5 over 20 steps (grad-accum 2)', async () => {
    const dp = join(root, 'dp2');
    ok(await hyperclone(run(dp, ['--nproc', '2', '--grad-accum', '2'])));
    for (const stage of ['1', '2']) {
      const out = join(root, `zero${stage}`);
      ok(await hyperclone(run(out, ['--nproc', '2', '--grad-accum', '2', '--zero-stage', stage])));
      expect(worst(trace(out), trace(dp))).toBeLessThan(1e-5); // measured: ZeRO-1 0 (the same bits), ZeRO-2 9.5e-7
      expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).zeroStage).toBe(Number(stage));
    }
    // ZeRO-1 reduces as data parallel does and AdamW is elementwise: its gathered moments are the same bits
    const [a, b] = [moments(join(root, 'zero1/checkpoints/step-00000020')), moments(join(dp, 'checkpoints/step-00000020'))];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, data] of a) expect(Buffer.from(data.buffer).equals(Buffer.from(b.get(name)!.buffer)), name).toBe(true);
  });

  it('ZeRO-1 and ZeRO-2 on 4 processes give the data-parallel trace within 1e-5', async () => {
    const dp = join(root, 'dp2-a1');
    ok(await hyperclone(run(dp, ['--nproc', '2'])));
    for (const stage of ['1', '2']) {
      const four = join(root, `zero${stage}-x4`);
      ok(await hyperclone(run(four, ['--nproc', '4', '--zero-stage', stage])));
      expect(worst(trace(four), trace(dp)), `ZeRO-${stage}`).toBeLessThan(1e-5);
    }
  });

  it('a ZeRO-2 checkpoint of 2 ranks resumes on 4 and on 1 with the uninterrupted trace', async () => {
    const straight = trace(join(root, 'zero2'));
    for (const [label, nproc] of [
      ['four', ['--nproc', '4']],
      ['one', []],
    ] as const) {
      const out = join(root, `zero2-then-${label}`);
      ok(await hyperclone(run(out, ['--nproc', '2', '--grad-accum', '2', '--zero-stage', '2', '--stop-after', '10'])));
      ok(await hyperclone(['train', '--out', out, '--resume', '--threads', '1', ...nproc]));
      expect(worst(trace(out), straight)).toBeLessThan(1e-5);
    }
  });

  it('a ZeRO stage on tfjs is one line, and nothing is written', async () => {
    const out = join(root, 'tfjs');
    const r = await hyperclone([...run(out, ['--zero-stage', '1']).filter((a) => a !== 'torch' && a !== '--backend'), '--backend', 'tfjs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "hyperclone: error: invalid training options: zeroStage: ZeRO needs the torch backend (c10d's collectives); tfjs trains in one process: use zeroStage 0 (got 1)\n",
    );
    expect(existsSync(out)).toBe(false);
    const bad = await hyperclone(run(join(root, 'bad'), ['--zero-stage', '3']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('hyperclone: error: --zero-stage must be 0, 1 or 2 (got "3")\n');
  });
});

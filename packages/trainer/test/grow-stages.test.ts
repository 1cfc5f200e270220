// Growth in stages inside one run (growAt): the flag's parser, the plan, and a staged run end to end on
// tfjs: its models, FLOPs and re-warmup stage by stage, and an exact resume mid-stage and across a growth.
// Not the growth transforms (packages/init/test) nor the CLI flag (packages/cli/test).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPreset, loadCheckpoint, trainFlopsPerToken } from '@hyperclone/core';
import { randomInit, symmetryReport } from '@hyperclone/init';
import { parseGrowStage, planStages, trainFrom, type EvalEvent, type StepEvent, type TrainOptions } from '../src/index.js';
import { readJsonl, tempDir, tfjsRuns } from './fixtures.js';

const runs = tfjsRuns();

/** 12 steps of tiny on 2 x 16 tokens: 2x wide (noisy) after step 4, 2x deep after step 8, re-warmup 2 steps. */
function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return runs.options(out, {
    steps: 12,
    batchSize: 2,
    seqLen: 16,
    lr: 2e-3,
    warmup: 2,
    schedule: 'constant',
    evalEvery: 4,
    evalWindows: 2,
    checkpointEvery: 2,
    keepLast: 10,
    growAt: [
      { step: 4, width: 2, variant: 'noisy-symmetric' },
      { step: 8, depth: 2, placement: 'stack', warmup: 1 },
    ],
    ...extra,
  });
}

describe('growAt: the flag and the plan', () => {
  it('parses STEP:key=value,... and names what is wrong', () => {
    expect(parseGrowStage('600:width=2')).toEqual({ step: 600, width: 2 });
    expect(parseGrowStage('1200: depth=2, placement=stack, new-blocks=copy, rotate, warmup=50')).toEqual({
      step: 1200,
      depth: 2,
      placement: 'stack',
      newBlocks: 'copy',
      rotate: true,
      warmup: 50,
    });
    expect(parseGrowStage('5:width=3,variant=noisy-symmetric,snr-db=0,tie=untie,rotate=false')).toMatchObject({ snrDb: 0, rotate: false });
    expect(() => parseGrowStage('width=2')).toThrow(/does not start with a step/);
    expect(() => parseGrowStage('5:height=2')).toThrow(/unknown key "height"/);
    expect(() => parseGrowStage('5:width=1.5')).toThrow(/width must be an integer/);
    expect(() => parseGrowStage('5:width')).toThrow(/width needs a value/);
    expect(() => parseGrowStage('5:placement=up')).toThrow(/placement/);
  });

  it('plans each stage from the last and refuses what cannot be grown', () => {
    const tiny = getPreset('tiny');
    const run = { seed: 3, steps: 100, seqLen: 64, warmup: 10 };
    const stages = planStages(
      tiny,
      [
        { step: 10, width: 2 },
        { step: 50, depth: 2, rotate: true, warmup: 0 },
      ],
      run,
    );
    expect(stages.map((s) => [s.fromStep, s.model.dModel, s.model.nLayer, s.model.norm, s.warmup])).toEqual([
      [0, 64, 2, 'layernorm', 10],
      [10, 128, 2, 'layernorm', 10],
      [50, 128, 4, 'rmsnorm', 0],
    ]);
    expect(stages[1]!.flopsPerToken).toBe(trainFlopsPerToken(stages[1]!.model, 64));
    expect(stages.map((s) => s.growth?.seed ?? null)).toEqual([null, 4, 5]);
    expect(() =>
      planStages(
        tiny,
        [
          { step: 10, width: 2 },
          { step: 10, depth: 2 },
        ],
        run,
      ),
    ).toThrow(/stage steps must increase/);
    expect(() => planStages(tiny, [{ step: 100, width: 2 }], run)).toThrow(/leaves nothing to train/);
    expect(() => planStages(tiny, [{ step: 5, width: 2, rotate: true, tie: 'keep' }], run)).toThrow(/after step 5: .*rotate unties/);
    // Carried moments through a rotation are refused here, before the first step, not at the growth.
    expect(() => planStages(tiny, [{ step: 5, width: 2, rotate: true, moments: 'carry' }], run)).toThrow(
      /after step 5: AdamW's moments cannot be carried through the rotate step/,
    );
    expect(planStages(tiny, [{ step: 5, width: 2, moments: 'carry' }], run)[1]!.moments).toBe('carry');
  });
});

describe('growAt: a run in three stages', () => {
  it('grows at each stage, counts FLOPs per stage, re-warms the rate, and records the growth in its checkpoints', async () => {
    const out = tempDir();
    const { summary } = await trainFrom(randomInit('tiny', { seed: 2 }), options(out));
    const tiny = getPreset('tiny');
    const fpt = [64, 128, 128].map((d, i) =>
      trainFlopsPerToken({ ...tiny, dModel: d, nHead: d / 16, nKvHead: d / 16, dFF: 4 * d, nLayer: i === 2 ? 4 : 2 }, 16),
    );
    expect(summary.stages!.map((s) => [s.fromStep, s.toStep, s.dModel, s.nLayer, s.tokens, s.flopsPerToken])).toEqual([
      [0, 4, 64, 2, 4 * 32, fpt[0]],
      [4, 8, 128, 2, 4 * 32, fpt[1]],
      [8, 12, 128, 4, 4 * 32, fpt[2]],
    ]);
    expect(summary.flops).toBe(4 * 32 * (fpt[0]! + fpt[1]! + fpt[2]!));
    expect(summary.stages!.reduce((s, st) => s + st.flops, 0)).toBe(summary.flops);
    expect(summary.params).toBe(summary.stages![2]!.params);
    const metrics = readJsonl<StepEvent>(join(out, 'metrics.jsonl'));
    expect(metrics.map((r) => r.stage)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(metrics.map((r) => r.lr)).toEqual([1e-3, 2e-3, 2e-3, 2e-3, 1e-3, 2e-3, 2e-3, 2e-3, 2e-3, 2e-3, 2e-3, 2e-3]);
    const evals = readJsonl<EvalEvent>(join(out, 'eval.jsonl'));
    expect(evals.map((e) => [e.step, e.stage, e.flops])).toEqual([
      [4, 0, 4 * 32 * fpt[0]!],
      [8, 1, 4 * 32 * (fpt[0]! + fpt[1]!)],
      [12, 2, summary.flops],
    ]);
    expect(evals[0]!.symmetry).toBeNull(); // a random model: nothing to compare
    expect(evals[1]!.symmetry!.mean!).toBeLessThan(0.95); // the noisy 2x copies
    // a checkpoint before a growth holds the old model; after it, the grown one, recorded as a clone
    expect((await loadCheckpoint(join(out, 'checkpoints/step-00000004'))).config.dModel).toBe(64);
    const deep = await loadCheckpoint(join(out, 'checkpoints/step-00000010'));
    expect(deep.config).toMatchObject({ dModel: 128, nLayer: 4 });
    expect(deep.origin).toMatchObject({
      kind: 'hyperclone',
      grownAfterStep: 8,
      clone: { width: 1, depth: { sourceBlocks: [0, 1, null, null] } },
    });
    const clone = (deep.origin as { clone: Parameters<typeof symmetryReport>[2] }).clone;
    expect(symmetryReport(deep.weights, deep.config, clone).overall).toBeNull(); // a depth growth copies nothing across columns
  });

  it('resumes exactly from a checkpoint before a growth, at it, and mid-stage', async () => {
    const straight = tempDir();
    const split = tempDir();
    const init = randomInit('tiny', { seed: 2 });
    await trainFrom(init, options(straight, { dropout: 0.1 }));
    // stops after step 3, after step 4 (the growth step: saved before the growth) and after step 7 (mid-stage)
    for (const [stopAfter, resume] of [
      [3, false],
      [1, true],
      [3, true],
    ] as const) {
      const r = await trainFrom(init, options(split, { dropout: 0.1, stopAfter, resume }));
      expect(r.summary.stopReason).toBe('stop-after');
    }
    const last = await trainFrom(init, options(split, { dropout: 0.1, resume: true }));
    expect(last.summary.steps).toBe(12);
    const a = readJsonl<StepEvent>(join(straight, 'metrics.jsonl'));
    const c = readJsonl<StepEvent>(join(split, 'metrics.jsonl'));
    expect(c.map((r) => [r.step, r.loss, r.gradNorm, r.lr])).toEqual(a.map((r) => [r.step, r.loss, r.gradNorm, r.lr]));
    const wa = (await loadCheckpoint(join(straight, 'checkpoints/step-00000012'))).weights;
    const wc = (await loadCheckpoint(join(split, 'checkpoints/step-00000012'))).weights;
    for (const [name, t] of wa) expect(Buffer.from(wc.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    expect(last.summary.flops).toBe(readJsonl<EvalEvent>(join(straight, 'eval.jsonl')).at(-1)!.flops);
    expect(last.summary.stages!.map((s) => s.toStep)).toEqual([4, 8, 12]);
  });
});

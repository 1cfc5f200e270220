// The one GrowthSpec: its defaults and refusals, every text form read by the one parser (k=v text, flags,
// benchmark arms) and written back, the record round trip, the plan's sizes and FLOPs against the weights
// applyGrowth makes, and a model made again from its origin record. Not function preservation (preservation.test.ts).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countParams, getPreset, saveCheckpoint, trainFlopsPerToken, type StateDict } from '@hyperclone/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyGrowth,
  GROWTH_FIELDS,
  growthFromFlags,
  growthOfClone,
  growthText,
  hyperclone,
  initializerFromOrigin,
  parseGrowthArm,
  parseGrowthText,
  planGrowth,
  randomInit,
  resolveGrowth,
  type GrowthSpec,
} from '../src/index.js';

const root = await mkdtemp(join(tmpdir(), 'hyperclone-growth-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const sameWeights = (a: StateDict, b: StateDict): boolean =>
  a.size === b.size && [...a].every(([name, t]) => Buffer.from(t.data.buffer).equals(Buffer.from(b.get(name)!.data.buffer)));

describe('resolveGrowth', () => {
  it('fills every default from the fields it depends on', () => {
    expect(resolveGrowth({})).toEqual({
      width: 1,
      ffn: 1,
      heads: 1,
      kvHeads: null,
      depth: 1,
      placement: 'interleave',
      newBlocks: 'identity',
      variant: 'symmetric',
      snrDb: null,
      tie: 'keep',
      rotate: false,
      seed: 0,
    });
    expect(resolveGrowth({ width: 3, variant: 'noisy-diagonal', rotate: true })).toMatchObject({
      ffn: 3,
      heads: 3,
      snrDb: 10,
      tie: 'untie',
    });
    const full = resolveGrowth({ width: 2, heads: 4, depth: 3, placement: 'stack', variant: 'noisy-symmetric', snrDb: 0, seed: 9 });
    expect(resolveGrowth(full)).toEqual(full); // a spec is its own options
  });

  it('refuses what cannot be grown, and an unknown option, naming it', () => {
    expect(() => resolveGrowth({ width: 1.5 })).toThrow(/width must be an integer >= 1 \(got 1.5\)/);
    expect(() => resolveGrowth({ heads: 0 })).toThrow(/heads must be an integer >= 1/);
    expect(() => resolveGrowth({ width: 2, snrDb: 5 })).toThrow(/snrDb only applies to the noisy variants/);
    expect(() => resolveGrowth({ width: 2, rotate: true, tie: 'keep' })).toThrow(/rotate unties a tied model/);
    expect(() => resolveGrowth({ width: 2, placement: 'stack' })).toThrow(/only apply when depth > 1/);
    expect(() => resolveGrowth({ widths: 2 } as never)).toThrow(/unknown growth option "widths" \(did you mean "width"\?\)/);
    expect(() => resolveGrowth({ width: 2, seed: -1 })).toThrow(/seed must be an integer in \[0, 2\^32\)/);
  });
});

describe('the text forms, one parser', () => {
  it('reads k=v text with switches, and the keys the caller owns', () => {
    expect(parseGrowthText('width=2, heads=4,kv-heads=4,depth=2,placement=stack,new-blocks=copy,rotate,seed=3')).toEqual({
      options: { width: 2, heads: 4, kvHeads: 4, depth: 2, placement: 'stack', newBlocks: 'copy', rotate: true, seed: 3 },
      extra: {},
    });
    expect(parseGrowthText('variant=noisy-symmetric,snr-db=-3,rotate=false,warmup=5', { warmup: { kind: 'int', min: 0 } })).toEqual({
      options: { variant: 'noisy-symmetric', snrDb: -3, rotate: false },
      extra: { warmup: 5 },
    });
    expect(() => parseGrowthText('height=2')).toThrow(/unknown key "height"; write width=N,ffn=N,heads=N,kv-heads=N,depth=N,/);
    expect(() => parseGrowthText('width=1.5')).toThrow(/^width must be an integer >= 1 \(got "1.5"\)$/);
    expect(() => parseGrowthText('width')).toThrow(/width needs a value \(width=\.\.\.\)/);
    expect(() => parseGrowthText('placement=up')).toThrow(/placement must be interleave or stack \(got "up"\)/);
    expect(() => parseGrowthText('rotate=yes')).toThrow(/rotate takes no value, or true\/false/);
  });

  it('reads flags by the same table: --kv-heads, --new-blocks, a switch', () => {
    expect(growthFromFlags({ width: '2', 'kv-heads': '2', 'new-blocks': 'copy', depth: '2', rotate: true, from: 'ignored' })).toEqual({
      width: 2,
      kvHeads: 2,
      newBlocks: 'copy',
      depth: 2,
      rotate: true,
    });
    expect(() => growthFromFlags({ width: '0' })).toThrow(/^--width must be an integer >= 1 \(got "0"\)$/);
    expect(() => growthFromFlags({ variant: 'wide' })).toThrow(
      /^--variant must be symmetric, noisy-symmetric, diagonal or noisy-diagonal \(got "wide"\)$/,
    );
  });

  it('reads a benchmark arm, and refuses what it cannot mean', () => {
    expect(parseGrowthArm('noisy-symmetric+rotate+stack+copy', 2)).toEqual({
      variant: 'noisy-symmetric',
      rotate: true,
      placement: 'stack',
      newBlocks: 'copy',
    });
    expect(() => parseGrowthArm('wide', 1)).toThrow(/unknown variant "wide"/);
    expect(() => parseGrowthArm('symmetric+spin', 1)).toThrow(/unknown modifier "spin"/);
    expect(() => parseGrowthArm('symmetric+stack', 1)).toThrow(/needs a depth growth/);
  });

  it('writes a spec back as text that reads as the same spec', () => {
    const specs: GrowthSpec[] = [
      resolveGrowth({ width: 2 }),
      resolveGrowth({ width: 2, variant: 'noisy-symmetric', snrDb: 0, rotate: true, seed: 4 }),
      resolveGrowth({ heads: 2, kvHeads: 1, ffn: 3, depth: 2, placement: 'stack', newBlocks: 'copy', tie: 'untie' }),
    ];
    expect(growthText(specs[0]!)).toBe('width=2');
    expect(growthText(specs[1]!)).toBe('width=2,variant=noisy-symmetric,snr-db=0,rotate,seed=4');
    for (const spec of specs) expect(resolveGrowth(parseGrowthText(growthText(spec)).options)).toEqual(spec);
    expect(GROWTH_FIELDS.map((f) => f.field).sort()).toEqual(Object.keys(specs[0]!).sort()); // every field has a text form
  });
});

describe('plan and apply', () => {
  it('plans each step, the size and the FLOPs, and the weights follow the plan', async () => {
    const tiny = getPreset('tiny');
    const src = await randomInit('tiny', { seed: 1 }).load();
    const options = { width: 2, heads: 4, depth: 2, rotate: true, seed: 2 };
    const plan = planGrowth(tiny, options, { seqLen: 32 });
    expect(plan.steps.map((s) => [s.step, s.config.dModel, s.config.nHead, s.config.nLayer, s.config.norm])).toEqual([
      ['width', 128, 16, 2, 'layernorm'],
      ['depth', 128, 16, 4, 'layernorm'],
      ['rotate', 128, 16, 4, 'rmsnorm'],
    ]);
    expect(plan.params).toBe(countParams(plan.config));
    expect(plan.flopsPerToken).toBe(trainFlopsPerToken(plan.config, 32));
    const grown = applyGrowth(src.config, src.weights, options);
    expect(grown.config).toEqual(plan.config);
    expect(grown.clone).toEqual(plan.clone);
    expect(plan.clone).toMatchObject({
      width: 2,
      heads: 4,
      kvHeads: null,
      rotate: true,
      depth: { multiplier: 2, placement: 'interleave' },
    });
    expect(growthOfClone(grown.clone)).toEqual(plan.spec);
    expect(() => planGrowth({ ...tiny, nKvHead: 2 }, { heads: 2, kvHeads: 1 })).toThrow(/kvHeads 1 must equal heads 2/);
  });

  it('reads an older clone record (no heads, kv heads) as heads = width', () => {
    const record = {
      width: 2,
      ffn: 2,
      variant: 'symmetric' as const,
      snrDb: null,
      tie: 'keep' as const,
      seed: 0,
      sourceConfig: getPreset('tiny'),
    };
    expect(growthOfClone(record)).toEqual(resolveGrowth({ width: 2 }));
  });
});

describe('initializerFromOrigin', () => {
  it('makes a chain of growths of a random init again from the last origin, and from a source checkpoint', async () => {
    const first = await hyperclone(randomInit('tiny', { seed: 3 }), { width: 2, variant: 'noisy-symmetric', seed: 1 }).load();
    const second = await hyperclone(first, { depth: 2, rotate: true, seed: 2 }).load();
    const again = await initializerFromOrigin(second.origin, second.config).load();
    expect(sameWeights(again.weights, second.weights)).toBe(true);
    const dir = join(root, 'first');
    await saveCheckpoint(dir, { config: first.config, weights: first.weights, origin: first.origin });
    const fromDir = await hyperclone(dir, { heads: 2 }).load();
    expect(sameWeights((await initializerFromOrigin(fromDir.origin, fromDir.config).load()).weights, fromDir.weights)).toBe(true);
  });

  it('refuses what a record cannot make, and a source that changed', async () => {
    expect(() => initializerFromOrigin({ kind: 'checkpoint' }, getPreset('tiny'))).toThrow(
      /init of kind "checkpoint" is read from a checkpoint/,
    );
    expect(() => initializerFromOrigin({ kind: 'random' }, getPreset('tiny'))).toThrow(/no recorded seed/);
    const m = await hyperclone(randomInit('tiny', { seed: 3 }), { width: 2 }).load();
    await expect(initializerFromOrigin(m.origin, { ...m.config, dFF: 8 }).load()).rejects.toThrow(/differs from the recorded one in dFF/);
  });
});

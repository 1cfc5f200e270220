// `hyperclone bench clone-vs-random` given only --data, --small, --width and a budget: it races the
// from-scratch recipe (STAGED_RECIPE) beside the clone and reports every arm counted every phase and with
// the small model free; named staged arms; `--stages none`. In-process on tfjs, builtin:stories, toy sizes.
// Not the analysis's arithmetic (packages/bench/test/analyze.test.ts).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataset } from '@hyperclone/data';
import { STAGED_RECIPE, type BenchResult } from '@hyperclone/bench';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CliError } from '../src/command.js';
import { benchCommand } from '../src/commands/bench.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-bench-recipe-'));
const data = join(root, 'stories');
beforeAll(async () => {
  await prepareDataset({ inputs: ['builtin:stories:1'], tokenizer: 'byte', out: data });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const toy = (out: string) => [
  'clone-vs-random',
  ...['--data', data, '--out', out, '--small', 'tiny', '--width', '2', '--budget', '8', '--small-steps', '4', '--seeds', '1'],
  ...['--batch-size', '2', '--seq-len', '16', '--eval-every', '2', '--eval-windows', '2', '--schedule', 'constant', '--warmup', '1'],
  ...['--backend', 'tfjs'],
];

async function bench(args: string[]): Promise<{ stdout: string; result: BenchResult }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await benchCommand.run(args);
  vi.restoreAllMocks();
  expect(code).toBe(0);
  const out = args[args.indexOf('--out') + 1]!;
  return { stdout, result: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BenchResult };
}

describe('hyperclone bench clone-vs-random: the from-scratch recipe by default', () => {
  it('races the recipe beside the clone and gives every arm counted every phase and with the small model free', async () => {
    const { stdout, result } = await bench(toy(join(root, 'default')));
    expect(result.clones.map((c) => c.arm)).toEqual(['clone:noisy-symmetric', 'stages']);
    const step = Math.round(STAGED_RECIPE.fraction * 8);
    expect(result.options['stages']).toEqual([{ step, width: 2, ...STAGED_RECIPE.levers, warmup: 1 }]);
    for (const c of result.clones) {
      expect(c.everyPhase, c.arm).not.toBeNull();
      expect(c.smallFree.flops.perSeed).toHaveLength(1);
    }
    // the clone counted every phase pays its small model's FLOPs; the staged arm its own small stage
    const [clone] = result.arms['clone:noisy-symmetric']!;
    expect(clone!.smaller.before!.flops).toBe(result.small!.flops);
    const [staged] = result.arms['stages']!;
    expect(staged!.smaller.before!.flops).toBe(0);
    expect(staged!.smaller.inRun.flops).toBeGreaterThan(0);
    expect(result.byBudget!.at(-1)!.tokensPerParam).toBeCloseTo((8 * 2 * 16) / result.wideParams!, 12);
    expect(stdout).toContain('counting every phase (from step 0 of the smallest model):');
    expect(stdout).toContain('the small model free (the final size only):');
    const md = readFileSync(join(root, 'default', 'report.md'), 'utf8');
    expect(md).toContain('## Speedup counting every phase');
    expect(md).toContain('tokens per parameter');
  }, 600_000);

  it('races named staged arms side by side, and none at all with --stages none', async () => {
    const { result } = await bench([
      ...toy(join(root, 'named')),
      '--stages',
      'early=25%:width=2',
      '--stages',
      'carry=4:width=2,moments=carry,warmup=0',
    ]);
    expect(result.clones.map((c) => c.arm)).toEqual(['stages:early', 'stages:carry']); // staged arms alone: no clone, no small model
    expect(result.small).toBeNull();
    expect(result.options['stagedArms']).toMatchObject({
      early: [{ step: 2, width: 2 }],
      carry: [{ step: 4, moments: 'carry', warmup: 0 }],
    });
    const none = await bench([...toy(join(root, 'none')), '--stages', 'none']);
    expect(none.result.clones.map((c) => c.arm)).toEqual(['clone:noisy-symmetric']);
    await expect(benchCommand.run([...toy(join(root, 'twice')), '--stages', '2:width=2', '--stages', '4:width=2'])).rejects.toSatisfy(
      (e: CliError) => e instanceof CliError && /give one unnamed staged arm; name the others/.test(e.message),
    );
  }, 600_000);

  it('starts a staged arm at a model config given as --small: width and depth grown in two stages', async () => {
    const config = join(root, 'one-layer.json');
    writeFileSync(config, JSON.stringify({ dModel: 64, nHead: 4, nKvHead: 4, headDim: 16, dFF: 256, nLayer: 1, contextLength: 128 }));
    const args = toy(join(root, 'two-stages')).map((a) => (a === 'tiny' ? config : a));
    const { result } = await bench([...args, '--depth', '2', '--stages', '2:depth=2;4:width=2']);
    expect(result.clones.map((c) => c.arm)).toEqual(['stages']);
    const run = JSON.parse(readFileSync(join(root, 'two-stages', 'runs', 'stages-seed0', 'config.json'), 'utf8')) as {
      stages: { model: { dModel: number; nLayer: number } }[];
    };
    expect(run.stages.map((s) => [s.model.dModel, s.model.nLayer])).toEqual([
      [64, 1],
      [64, 2],
      [128, 2],
    ]);
    expect(result.wideParams).toBe(
      JSON.parse(readFileSync(join(root, 'two-stages', 'runs', 'random-seed0', 'summary.json'), 'utf8')).params,
    );
  }, 600_000);
});

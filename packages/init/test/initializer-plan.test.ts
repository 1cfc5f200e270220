// Initializer plans (what the memory check reads): each plan's config is the one load() gives and its load
// parts are the bytes of the weights load() makes, read from config.json alone. Not the check (core, CLI).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateDict } from '@hyperclone/core';
import { saveCheckpoint } from '@hyperclone/core';
import { afterAll, describe, expect, it } from 'vitest';
import { fromCheckpoint, hyperclone, randomInit } from '../src/index.js';

const root = await mkdtemp(join(tmpdir(), 'hyperclone-plan-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const bytesOf = (w: StateDict): number => [...w.values()].reduce((n, t) => n + t.data.byteLength, 0);

describe('initializer plans', () => {
  it('randomInit: the config and the bytes of its weights', async () => {
    const init = randomInit('tiny-llama', { seed: 3, vocabSize: 300 });
    const plan = await init.plan!();
    const m = await init.load();
    expect(plan.config).toEqual(m.config);
    expect(plan.load).toEqual({ weights: bytesOf(m.weights) });
  });

  it('fromCheckpoint reads config.json only: a checkpoint whose weights are unreadable still plans', async () => {
    const m = await randomInit('tiny').load();
    const dir = join(root, 'ckpt');
    await saveCheckpoint(dir, { config: m.config, weights: m.weights, origin: m.origin });
    await writeFile(join(dir, 'model.safetensors'), 'not safetensors');
    const plan = await fromCheckpoint(dir).plan!();
    expect(plan).toEqual({ config: m.config, load: { weights: bytesOf(m.weights) } });
    await expect(fromCheckpoint(join(root, 'missing')).plan!()).rejects.toThrow(/does not exist/);
  });

  it('hyperclone: the grown config, the source and every growth step (width, depth, rotation)', async () => {
    const src = await randomInit('tiny').load();
    const dir = join(root, 'src');
    await saveCheckpoint(dir, { config: src.config, weights: src.weights, origin: src.origin });
    const init = hyperclone(dir, { width: 2, depth: 2, rotate: true });
    const plan = await init.plan!();
    const m = await init.load();
    expect(plan.config).toEqual(m.config);
    // a rotation unties a tied source, from the width step on
    const wide = await hyperclone(dir, { width: 2, tie: 'untie' }).load();
    const deep = await hyperclone(dir, { width: 2, depth: 2, tie: 'untie' }).load();
    expect(plan.load).toEqual({ source: bytesOf(src.weights), output: bytesOf(wide.weights) + bytesOf(deep.weights) + bytesOf(m.weights) });
    // a clone of an initializer plans through it; one without a plan leaves the clone without one
    expect((await hyperclone(randomInit('tiny'), { width: 3 }).plan!()).config.dModel).toBe(192);
    expect(hyperclone({ kind: 'x', load: () => Promise.resolve(src) }, { width: 2 }).plan).toBeUndefined();
    await expect(hyperclone(join(root, 'missing'), { width: 2 }).plan!()).rejects.toThrow(/hyperclone cannot use .* as its source/);
  });
});

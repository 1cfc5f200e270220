// fromCheckpoint: weights, origin and clone info read back from a saved checkpoint, and the errors for broken ones.
// Not the checkpoint format itself (core's checkpoint code owns that).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPreset, saveCheckpoint } from '@hyperclone/core';
import { afterAll, describe, expect, it } from 'vitest';
import { fromCheckpoint, randomInit } from '../src/index.js';

const root = await mkdtemp(join(tmpdir(), 'hyperclone-init-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('fromCheckpoint', () => {
  it('loads the weights and carries the origin along', async () => {
    const m = await randomInit('tiny-llama', { seed: 5 }).load();
    const dir = join(root, 'a');
    await saveCheckpoint(dir, { config: m.config, weights: m.weights, origin: m.origin });
    const init = fromCheckpoint(dir);
    expect(init.kind).toBe('checkpoint');
    const back = await init.load();
    expect(back.config).toEqual(m.config);
    expect(back.origin).toEqual({ kind: 'random', seed: 5, preset: 'tiny-llama' });
    expect(back.clone).toBeUndefined();
    expect([...back.weights.keys()]).toEqual([...m.weights.keys()]);
    expect(back.weights.get('blocks.1.mlp.gate.weight')!.data).toEqual(m.weights.get('blocks.1.mlp.gate.weight')!.data);
  });

  it('reads clone info from origin.clone and rejects a malformed one', async () => {
    const m = await randomInit('tiny').load();
    const clone = { width: 2, ffn: 2, variant: 'symmetric', snrDb: null, tie: 'keep', seed: 0, sourceConfig: getPreset('tiny') };
    const dir = join(root, 'b');
    await saveCheckpoint(dir, { config: m.config, weights: m.weights, origin: { kind: 'hyperclone', clone } });
    expect((await fromCheckpoint(dir).load()).clone).toEqual(clone);
    await saveCheckpoint(dir, { config: m.config, weights: m.weights, origin: { kind: 'hyperclone', clone: { ...clone, width: 0 } } });
    await expect(fromCheckpoint(dir).load()).rejects.toThrow(/origin.clone is malformed \(width is not a positive integer\)/);
  });

  it('fails with the reason on a missing or broken checkpoint', async () => {
    await expect(fromCheckpoint(join(root, 'nope')).load()).rejects.toThrow(/does not exist/);
    const dir = join(root, 'broken');
    const m = await randomInit('tiny').load();
    await saveCheckpoint(dir, { config: m.config, weights: m.weights });
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ format: 'hyperclone-checkpoint', version: 1, model: { ...m.config, dModel: 32 } }),
    );
    await expect(fromCheckpoint(dir).load()).rejects.toThrow(/do not match the model config/);
    expect(() => fromCheckpoint('')).toThrow(/needs a checkpoint directory/);
  });
});

// The hyperclone initializer: every kind of source, the provenance chain of clones of clones, and bad options or sources.
// Not the weights' arithmetic (clone-weights.test.ts) nor function preservation (preservation.test.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPreset, loadCheckpoint, saveCheckpoint } from '@hyperclone/core';
import { afterAll, describe, expect, it } from 'vitest';
import { fromCheckpoint, hyperclone, randomInit } from '../src/index.js';

/** Bitwise equality of two typed arrays (fast, unlike a deep toEqual on large arrays). */
function sameBytes(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const root = await mkdtemp(join(tmpdir(), 'hyperclone-clone-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('hyperclone initializer', () => {
  it('clones an initializer and records the provenance chain', async () => {
    const init = hyperclone(randomInit('tiny', { seed: 2 }), { width: 2, ffn: 3, variant: 'noisy-symmetric', seed: 5 });
    expect(init.kind).toBe('hyperclone');
    const m = await init.load();
    expect(m.config.dModel).toBe(128);
    expect(m.config.dFF).toBe(3 * 256);
    expect(m.clone).toEqual({
      width: 2,
      ffn: 3,
      heads: 2,
      kvHeads: null,
      variant: 'noisy-symmetric',
      snrDb: 10,
      tie: 'keep',
      seed: 5,
      sourceConfig: getPreset('tiny'),
    });
    expect(m.origin).toEqual({ kind: 'hyperclone', clone: m.clone, source: { kind: 'random', seed: 2, preset: 'tiny' } });
  });

  it('clones a checkpoint directory, a loaded checkpoint and an initialized model alike; clones of clones chain', async () => {
    const small = await randomInit('tiny-llama', { seed: 1 }).load();
    const dir = join(root, 'small');
    await saveCheckpoint(dir, { config: small.config, weights: small.weights, origin: small.origin });
    const fromDir = await hyperclone(dir, { width: 2 }).load();
    const fromCkpt = await hyperclone(await loadCheckpoint(dir), { width: 2 }).load();
    const fromModel = await hyperclone(small, { width: 2 }).load();
    for (const other of [fromCkpt, fromModel]) {
      for (const [name, t] of fromDir.weights) expect(sameBytes(other.weights.get(name)!.data, t.data), name).toBe(true);
    }
    expect(fromDir.origin['sourceCheckpoint']).toBe(dir);
    // save the clone, clone it again from disk: the chain of origins is kept
    const wideDir = join(root, 'wide');
    await saveCheckpoint(wideDir, { config: fromDir.config, weights: fromDir.weights, origin: fromDir.origin });
    const reloaded = await fromCheckpoint(wideDir).load();
    expect(reloaded.clone).toEqual(fromDir.clone);
    const wider = await hyperclone(fromCheckpoint(wideDir), { width: 2, variant: 'diagonal' }).load();
    expect(wider.config.dModel).toBe(256);
    expect(wider.clone!.sourceConfig.dModel).toBe(128);
    const chain = wider.origin['source'] as Record<string, unknown>;
    expect(chain['kind']).toBe('hyperclone');
    expect((chain['source'] as Record<string, unknown>)['kind']).toBe('random');
    expect(wider.origin['fallbacks']).toBeUndefined(); // width = ffn and MHA-or-GQA: every linear went diagonal
    const ffnWider = await hyperclone(fromCheckpoint(wideDir), { width: 2, ffn: 1, variant: 'diagonal' }).load();
    expect(ffnWider.origin['fallbacks']).toEqual([
      'blocks.0.mlp.up.weight',
      'blocks.0.mlp.gate.weight',
      'blocks.0.mlp.down.weight',
      'blocks.1.mlp.up.weight',
      'blocks.1.mlp.gate.weight',
      'blocks.1.mlp.down.weight',
    ]);
  });

  it('rejects bad options at once, and a bad source when loading', async () => {
    expect(() => hyperclone(randomInit('tiny'), { width: 2.5 })).toThrow(/width must be an integer >= 1 \(got 2.5\)/);
    expect(() => hyperclone(randomInit('tiny'), { width: 0 })).toThrow(/width must be an integer >= 1 \(got 0\)/);
    expect(() => hyperclone(42 as unknown as string, { width: 2 })).toThrow(/source must be a checkpoint directory/);
    await expect(hyperclone(join(root, 'absent'), { width: 2 }).load()).rejects.toThrow(
      /cannot use .*absent as its source: checkpoint .* does not exist/,
    );
    const dir = join(root, 'not-a-ckpt');
    const small = await randomInit('tiny').load();
    await saveCheckpoint(dir, { config: small.config, weights: small.weights });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ format: 'something-else', version: 1, model: small.config }));
    await expect(hyperclone(dir, { width: 2 }).load()).rejects.toThrow(/cannot use .* as its source: .*has format "something-else"/);
    const bad = { config: { ...small.config, dFF: 100 }, weights: small.weights, origin: {} };
    await expect(hyperclone(bad, { width: 2 }).load()).rejects.toThrow(
      /do not match the model config: blocks.0.mlp.up.weight is \[256, 64\], config says \[100, 64\]/,
    );
  });
});

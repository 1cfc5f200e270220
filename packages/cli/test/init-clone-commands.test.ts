// `hyperclone init` and `clone` as a user runs them: config files, bad input refused in one line, fallbacks warned.
// Not the clone transform itself (packages/init/test) nor training (train-commands.test.ts).

// `hyperclone init` and `hyperclone clone`, run in-process: the files they write, their function, their refusals.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shakespearePath } from '@hyperclone/data';
import {
  crossEntropyLoss,
  disposeParams,
  forward,
  getPreset,
  hostTensor,
  loadCheckpoint,
  uploadParams,
  type Backend,
  type Checkpoint,
} from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cloneCommand, growCommand } from '../src/commands/clone.js';
import { initCommand } from '../src/commands/init.js';

let root: string;
let b: Backend;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hyperclone-cli-clone-'));
  b = await createTfjsBackend();
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterAll(async () => {
  vi.restoreAllMocks();
  b?.close();
  await rm(root, { recursive: true, force: true });
});

/** Loss of a checkpoint on the first 4·64 bytes of Tiny Shakespeare's last 10%. */
async function heldOutLoss(dir: string): Promise<number> {
  const ckpt: Checkpoint = await loadCheckpoint(dir);
  const text = await readFile(shakespearePath());
  const start = Math.floor(text.length * 0.9);
  const B = 4;
  const T = 64;
  const inputs = Int32Array.from({ length: B * T }, (_, i) => text[start + i]!);
  const targets = Int32Array.from({ length: B * T }, (_, i) => text[start + i + 1]!);
  const params = uploadParams(b, ckpt.config, ckpt.weights);
  try {
    return b.tidy(() => {
      const logits = forward(b, ckpt.config, params, b.fromHost(hostTensor([B, T], inputs))).logits; // (B, T, V)
      return b.toHost(crossEntropyLoss(b, logits, b.fromHost(hostTensor([B, T], targets)))).data[0]!;
    }) as unknown as number;
  } finally {
    disposeParams(b, params);
  }
}

describe('hyperclone init + clone', () => {
  it.each([
    ['GPT-2 style', 'tiny'],
    ['Llama style (GQA)', 'tiny-llama'],
  ])('%s: init, clone --width 3 --ffn 2 --variant noisy-symmetric, and the losses agree within 1e-5', async (_, preset) => {
    const a = join(root, `${preset}-a`);
    const c = join(root, `${preset}-b`);
    expect(await initCommand.run(['--model', preset, '--out', a, '--seed', '4'])).toBe(0);
    expect(await cloneCommand.run(['--from', a, '--width', '3', '--ffn', '2', '--variant', 'noisy-symmetric', '--out', c])).toBe(0);
    const small = await loadCheckpoint(a);
    const wide = await loadCheckpoint(c);
    expect(small.origin).toEqual({ kind: 'random', seed: 4, preset });
    expect(wide.config.dModel).toBe(3 * getPreset(preset).dModel);
    expect(wide.origin).toMatchObject({
      kind: 'hyperclone',
      sourceCheckpoint: a,
      source: small.origin,
      clone: { width: 3, ffn: 2, variant: 'noisy-symmetric', snrDb: 10, seed: 0 },
    });
    expect(Math.abs((await heldOutLoss(a)) - (await heldOutLoss(c)))).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    ['GPT-2 style (tied, LayerNorm)', 'tiny'],
    ['Llama style (GQA)', 'tiny-llama'],
  ])('%s: clone --rotate and grow --width 2 --depth 2 keep the loss within 1e-5', async (_, preset) => {
    const a = join(root, `${preset}-rot-src`);
    const r = join(root, `${preset}-rot`);
    const g = join(root, `${preset}-grown`);
    expect(await initCommand.run(['--model', preset, '--out', a, '--seed', '6'])).toBe(0);
    expect(await cloneCommand.run(['--from', a, '--width', '2', '--rotate', '--seed', '3', '--out', r])).toBe(0);
    const argv = ['--from', a, '--width', '2', '--depth', '2', '--placement', 'stack', '--variant', 'noisy-symmetric', '--out', g];
    expect(await growCommand.run(argv)).toBe(0);
    const rotated = await loadCheckpoint(r);
    const grown = await loadCheckpoint(g);
    expect(rotated.config).toMatchObject({ norm: 'rmsnorm', tieEmbeddings: false, dModel: 2 * getPreset(preset).dModel });
    expect(rotated.origin!['clone']).toMatchObject({ width: 2, rotate: true, seed: 3, tie: preset === 'tiny' ? 'untie' : null });
    expect(grown.config.nLayer).toBe(2 * getPreset(preset).nLayer);
    expect(grown.origin!['clone']).toMatchObject({ depth: { multiplier: 2, placement: 'stack', newBlocks: 'identity' } });
    const loss = await heldOutLoss(a);
    expect(Math.abs(loss - (await heldOutLoss(r)))).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(loss - (await heldOutLoss(g)))).toBeLessThanOrEqual(1e-5);
  });

  it('grow --new-blocks copy stacks copies of the trained blocks (G_stack), which changes the function', async () => {
    const a = join(root, 'gstack-src');
    const g = join(root, 'gstack');
    await initCommand.run(['--model', 'tiny', '--out', a, '--seed', '7']);
    expect(await growCommand.run(['--from', a, '--depth', '2', '--placement', 'stack', '--new-blocks', 'copy', '--out', g])).toBe(0);
    const src = await loadCheckpoint(a);
    const grown = await loadCheckpoint(g);
    expect(grown.config).toMatchObject({ nLayer: 4, dModel: 64 });
    expect(grown.weights.get('blocks.2.attn.q.weight')!.data).toEqual(src.weights.get('blocks.0.attn.q.weight')!.data);
    expect(Math.abs((await heldOutLoss(a)) - (await heldOutLoss(g)))).toBeGreaterThan(1e-4);
  });

  it('grow --heads adds copied heads at the same width (head_dim kept), keeps the function and says what it grew', async () => {
    const a = join(root, 'heads-src');
    const g = join(root, 'heads');
    await initCommand.run(['--model', 'tiny-llama', '--out', a, '--seed', '8']);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await growCommand.run(['--from', a, '--heads', '2', '--out', g])).toBe(0);
    expect(String(stdout.mock.calls.at(-1)?.[0])).toMatch(
      /^wrote .*heads: symmetric clone x1 of .*heads-src \(width=1,heads=2\), dModel (\d+) -> \1, heads (\d+) -> /,
    );
    stdout.mockRestore();
    const src = getPreset('tiny-llama');
    const grown = await loadCheckpoint(g);
    expect(grown.config).toMatchObject({ dModel: src.dModel, nHead: 2 * src.nHead, nKvHead: 2 * src.nKvHead, headDim: src.headDim });
    expect(grown.origin!['clone']).toMatchObject({ width: 1, heads: 2, kvHeads: null });
    expect(Math.abs((await heldOutLoss(a)) - (await heldOutLoss(g)))).toBeLessThanOrEqual(1e-5);
    await expect(growCommand.run(['--from', a, '--heads', '2', '--kv-heads', '1', '--out', join(root, 'never-kv')])).rejects.toThrow(
      /kvHeads 1 must equal heads 2/,
    );
    await expect(growCommand.run(['--from', a, '--out', join(root, 'never-nothing')])).rejects.toThrow(
      /grow needs at least one of --width/,
    );
  });

  it('takes a config.json for --model', async () => {
    const file = join(root, 'model.json');
    await writeFile(file, JSON.stringify({ dModel: 16, nHead: 2, nLayer: 1, mlp: 'swiglu' }));
    expect(await initCommand.run(['--model', file, '--out', join(root, 'from-json')])).toBe(0);
    expect((await loadCheckpoint(join(root, 'from-json'))).config).toMatchObject({ dModel: 16, mlp: 'swiglu', norm: 'rmsnorm' });
  });

  it('refuses bad input with a one-line reason and leaves nothing behind', async () => {
    const a = join(root, 'src');
    await initCommand.run(['--model', 'tiny', '--out', a]);
    const before = (await readdir(root)).sort();
    const out = join(root, 'never');
    await expect(cloneCommand.run(['--from', a, '--width', '1.5', '--out', out])).rejects.toThrow(
      /--width must be an integer >= 1 \(got "1.5"\)/,
    );
    await expect(cloneCommand.run(['--from', a, '--width', '0', '--out', out])).rejects.toThrow(/--width must be an integer >= 1/);
    await expect(cloneCommand.run(['--from', a, '--width', '2', '--variant', 'wide', '--out', out])).rejects.toThrow(
      /--variant must be symmetric, noisy-symmetric, diagonal or noisy-diagonal \(got "wide"\)/,
    );
    await expect(cloneCommand.run(['--from', a, '--width', '2', '--snr-db', '5', '--out', out])).rejects.toThrow(
      /snrDb only applies to the noisy variants/,
    );
    await expect(cloneCommand.run(['--from', join(root, 'missing'), '--width', '2', '--out', out])).rejects.toThrow(
      /cannot use .*missing as its source: checkpoint .* does not exist/,
    );
    await expect(cloneCommand.run(['--from', a, '--width', '2', '--out', a])).rejects.toThrow(/already exists/);
    await expect(cloneCommand.run(['--width', '2', '--out', out])).rejects.toThrow(/missing required flag --from/);
    await expect(initCommand.run(['--model', 'huge', '--out', out])).rejects.toThrow(/unknown model preset "huge"/);
    await expect(initCommand.run(['--model', 'tiny', '--out', out, '--seed=-1'])).rejects.toThrow(
      /--seed must be an integer >= 0 \(got "-1"\)/,
    );
    expect(existsSync(out)).toBe(false);
    expect((await readdir(root)).sort()).toEqual(before);
  });

  it('warns on stderr when a diagonal clone falls back to symmetric', async () => {
    const a = join(root, 'diag-src');
    await initCommand.run(['--model', 'tiny', '--out', a]);
    const stderr = vi.mocked(process.stderr.write);
    stderr.mockClear();
    expect(await cloneCommand.run(['--from', a, '--width', '2', '--ffn', '1', '--variant', 'diagonal', '--out', join(root, 'diag')])).toBe(
      0,
    );
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(
      /warning: diagonal cloning needs equal output and input multipliers; 4 parameter\(s\) fell back to symmetric.*blocks.0.mlp.up.weight/,
    );
    expect((await loadCheckpoint(join(root, 'diag'))).origin!['fallbacks']).toHaveLength(4);
  });
});

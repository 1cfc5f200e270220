// `hyperclone import` of pytorch_model.bin folders (transformers' save_pretrained without safetensors, one file or
// shards): the checkpoint gives transformers' logits; a pickle with a foreign global is refused in one line naming it.
// Not the reader's own tests (packages/hf/test/torch-pickle.test.ts).
import { copyFileSync, cpSync, existsSync, unlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { loadModelDir } from '@hyperclone/init';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir, logitsOf, maxAbsDiff, readReference } from '../../hf/test/helpers/fixtures.js';
import { hyperclone } from './run-cli.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hyperclone-cli-bin-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hyperclone import of a pytorch_model.bin folder', () => {
  for (const [name, summary] of [
    ['opt-tied-bin-fp16', /OPTForCausalLM from .*stored F16;[^\n]*\nnote: lm_head.weight is in the file but the head is tied/],
    ['llama-bin-sharded-bf16', /LlamaForCausalLM from .*stored BF16;/],
  ] as const) {
    it(`${name}: imports, and the checkpoint gives transformers' logits`, async () => {
      const out = join(root, name);
      const r = await hyperclone(['import', '--from', fixtureDir(name), '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(summary);
      const m = await loadModelDir(out);
      const ref = readReference(name);
      const b = await createTfjsBackend();
      try {
        expect(maxAbsDiff(logitsOf(b, m.config, m.weights, ref.tokens), ref.logits)).toBeLessThanOrEqual(1e-4);
      } finally {
        b.close();
      }
    });
  }

  it('refuses a pickle that names a foreign global, in one line naming it, and writes nothing', async () => {
    const dir = join(root, 'foreign');
    cpSync(fixtureDir('gpt2-tied'), dir, { recursive: true });
    unlinkSync(join(dir, 'model.safetensors'));
    copyFileSync(fixtureDir('torch-pickles/foreign-global.pt'), join(dir, 'pytorch_model.bin'));
    const out = join(root, 'foreign-out');
    const r = await hyperclone(['import', '--from', dir, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^hyperclone: error: \S+pytorch_model.bin: refused: its pickle names the global posix.system \(at byte \d+\), which a state dict of tensors never uses .*; nothing was run$/,
      ),
    ]);
    expect(existsSync(out)).toBe(false);
  });
});

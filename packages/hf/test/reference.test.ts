// Exported models through the PyTorch transcription of transformers: an exported import, and its 2x and 3x
// HyperClones, give the source's logits within 1e-4 and its greedy continuation. Not import parity (parity.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hyperclone } from '@hyperclone/init';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readHuggingFace, writeHuggingFace } from '../src/index.js';
import { TRANSCRIBED_FIXTURES, fixtureDir, maxAbsDiff, readReference, tokensRow } from './helpers/fixtures.js';
import { describePython, runReference, type ReferenceRun } from './helpers/python-reference.js';

const TOLERANCE = 1e-4;

describePython('exported models and clones through the PyTorch transcription of transformers', () => {
  const root = mkdtempSync(join(tmpdir(), 'hf-reference-'));
  const exported: { name: string; label: string; dir: string; folds: string[] }[] = [];
  let runs: Record<string, ReferenceRun> = {};
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    for (const name of TRANSCRIBED_FIXTURES) {
      const m = await readHuggingFace(fixtureDir(name));
      const variants = [
        { label: 'as imported', model: m },
        { label: '2x clone', model: await hyperclone(m, { width: 2 }).load() },
        {
          label: '3x clone (ffn 2, noisy-symmetric)',
          model: await hyperclone(m, { width: 3, ffn: 2, variant: 'noisy-symmetric', snrDb: 10 }).load(),
        },
      ];
      if (m.config.tieEmbeddings)
        variants.push({ label: '2x clone, untied', model: await hyperclone(m, { width: 2, tie: 'untie' }).load() });
      for (const v of variants) {
        const dir = join(root, `${name}-${exported.length}`);
        const r = await writeHuggingFace(dir, v.model.config, v.model.weights, { origin: v.model.origin, files: m.files });
        exported.push({ name, label: v.label, dir, folds: r.folds });
      }
    }
    const ref = readReference(TRANSCRIBED_FIXTURES[0]!); // every fixture uses the same tokens
    runs = runReference(
      exported.map((e) => e.dir),
      [tokensRow(ref.tokens)],
      { greedy: ref.greedy.length, promptLen: ref.prompt.length },
    );
  }, 600_000);

  it('loads every exported directory with no missing or unexpected weights and the source logits within 1e-4', () => {
    const rows: string[] = [];
    for (const e of exported) {
      const run = runs[e.dir]!;
      expect(run.error, `${e.name} ${e.label}`).toBeUndefined();
      const source = readReference(e.name);
      const diff = maxAbsDiff(run.logits, source.logits);
      rows.push(`${e.name} ${e.label}: ${diff.toExponential(1)}`);
      expect(diff, `${e.name} ${e.label}`).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(run.loss - source.loss), `${e.name} ${e.label} loss`).toBeLessThan(1e-5);
    }
    console.log(`max |Δlogit| of exported models vs their source (transcription, float64):\n  ${rows.join('\n  ')}`);
  });

  it("continues the prompt greedily with the source's tokens", () => {
    for (const e of exported) expect(runs[e.dir]!.greedy, `${e.name} ${e.label}`).toEqual(readReference(e.name).greedy);
  });

  it('a tied clone kept tied (logits scaled by 1/width) is exported with the scale folded into an untied head', () => {
    const tied = exported.filter((e) => e.label === '2x clone' && e.folds.length > 0).map((e) => e.name);
    expect(tied.sort()).toEqual([
      'gpt2-legacy-bin',
      'gpt2-tied',
      'llama-mqa-tied-bf16',
      'neox-sequential-tied',
      'opt-tied',
      'opt-tied-bin-fp16',
      'qwen2-gqa-tied',
    ]);
  });
});

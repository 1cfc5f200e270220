// Every fixture imported, cloned (width 2, FFN 2), exported and imported again: the clone's config and transformers' logits
// of the source come back (<= 1e-4, argmax equal). Not transformers reading the export (transformers-check.test.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { hyperclone } from '@hyperclone/init';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldLogitScale, readHuggingFace, writeHuggingFace } from '../src/index.js';
import { HF_FIXTURES, argmaxDiffers, fixtureDir, logitsOf, maxAbsDiff, readReference } from './helpers/fixtures.js';

const TOLERANCE = 1e-4;

describe('import -> clone (width 2, FFN 2) -> export -> import (tfjs)', () => {
  let b: Backend;
  const root = mkdtempSync(join(tmpdir(), 'hf-clone-export-'));
  const worst: string[] = [];
  beforeAll(async () => {
    b = await createTfjsBackend();
  });
  afterAll(() => {
    console.log(`max |Δlogit| of the exported 2x clone read back, vs transformers' logits of the source: ${worst.join(', ')}`);
    b?.close();
    rmSync(root, { recursive: true, force: true });
  });

  for (const name of HF_FIXTURES) {
    it(`${name}: the clone's config and the source's logits come back`, async () => {
      const source = await readHuggingFace(fixtureDir(name));
      const clone = await hyperclone(source, { width: 2, ffn: 2 }).load();
      const out = join(root, name);
      const written = await writeHuggingFace(out, clone.config, clone.weights, { origin: clone.origin, files: source.files });
      expect(written.architecture).toBe(source.architecture);
      const back = await readHuggingFace(out);
      expect(back.config).toEqual(foldLogitScale(clone.config, null).config);
      const hf = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(hf['architectures']).toEqual([source.architecture]);
      const ref = readReference(name);
      const logits = logitsOf(b, back.config, back.weights, ref.tokens);
      const diff = maxAbsDiff(logits, ref.logits);
      worst.push(`${name} ${diff.toExponential(1)}`);
      expect(diff).toBeLessThanOrEqual(TOLERANCE);
      expect(argmaxDiffers(logits, ref.logits, source.config.vocabSize)).toEqual([]);
    });
  }
});

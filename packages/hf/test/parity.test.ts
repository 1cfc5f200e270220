// Import parity: each fixture (written by transformers' save_pretrained) read by readHuggingFace gives transformers'
// logits within 1e-4, the same argmax at every position and its greedy continuation token for token, on tfjs and
// (where the addon works) torch. Not export (round-trip, reference and transformers-check tests).
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { createTorchBackend } from '@hyperclone/backend-torch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';
import { readHuggingFace } from '../src/index.js';
import { HF_FIXTURES, argmaxDiffers, fixtureDir, greedyOf, logitsOf, maxAbsDiff, readReference } from './helpers/fixtures.js';

const TOLERANCE = 1e-4;

function parity(label: string, make: () => Promise<Backend>): void {
  let b: Backend;
  const worst: string[] = [];
  beforeAll(async () => {
    b = await make();
  });
  afterAll(() => {
    console.log(`max |Δlogit| vs transformers (${label}): ${worst.join(', ')}`);
    b?.close();
  });
  for (const name of HF_FIXTURES) {
    it(`${name}: logits within ${TOLERANCE}, the same argmax and the same greedy continuation`, async () => {
      const model = await readHuggingFace(fixtureDir(name));
      const ref = readReference(name);
      const logits = logitsOf(b, model.config, model.weights, ref.tokens);
      const diff = maxAbsDiff(logits, ref.logits);
      worst.push(`${name} ${diff.toExponential(1)}`);
      expect(diff).toBeLessThanOrEqual(TOLERANCE);
      expect(argmaxDiffers(logits, ref.logits, model.config.vocabSize)).toEqual([]);
      expect(greedyOf(b, model.config, model.weights, ref.prompt, ref.greedy.length)).toEqual(ref.greedy);
    });
  }
}

describe('Hugging Face import parity (tfjs)', () => parity('tfjs', () => createTfjsBackend()));
describeTorch('Hugging Face import parity (torch)', () => parity('torch', () => createTorchBackend({ device: 'cpu' })));

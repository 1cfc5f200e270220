// Transformers 5 spells rotary settings as `rope_parameters`; the fixtures (written by transformers 4.49) spell them
// the 4.x way. Both spellings must import as the same model. Not refusals (bad-input.test.ts) and not parity.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHfModelConfig } from '../src/index.js';
import { fixtureDir } from './helpers/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hf-spellings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of a fixture's config.json, edited. */
function respelled(name: string, edit: (c: Record<string, unknown>) => void): string {
  const dir = join(root, name);
  cpSync(join(fixtureDir(name), 'config.json'), join(dir, 'config.json'), { recursive: true });
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}

describe("Transformers 5's rope_parameters", () => {
  it('Qwen2: rope_parameters.rope_theta reads as rope_theta', () => {
    const dir = respelled('qwen2-gqa-tied', (c) => {
      c['rope_parameters'] = { rope_type: 'default', rope_theta: c['rope_theta'] };
      delete c['rope_theta'];
      delete c['rope_scaling'];
    });
    const config = readHfModelConfig(dir);
    expect(config.ropeTheta).toBe(1e6);
    expect(config).toEqual(readHfModelConfig(fixtureDir('qwen2-gqa-tied')));
  });

  it('GPT-NeoX: rope_parameters.rope_theta and partial_rotary_factor read as rotary_emb_base and rotary_pct', () => {
    const dir = respelled('neox-pythia', (c) => {
      c['rope_parameters'] = { rope_type: 'default', rope_theta: 10000.0, partial_rotary_factor: 0.25 };
      for (const k of ['rope_theta', 'rotary_emb_base', 'rotary_pct', 'partial_rotary_factor', 'rope_scaling']) delete c[k];
    });
    const config = readHfModelConfig(dir);
    expect(config.ropeDims).toBe(2); // a quarter of head_dim 8
    expect(config).toEqual(readHfModelConfig(fixtureDir('neox-pythia')));
  });

  it('Llama 3.1: rope_parameters holding the llama3 scaling reads as rope_scaling and rope_theta', () => {
    const dir = respelled('llama3-rope-scaling', (c) => {
      c['rope_parameters'] = { ...(c['rope_scaling'] as object), rope_theta: c['rope_theta'] };
      delete c['rope_theta'];
      delete c['rope_scaling'];
    });
    const config = readHfModelConfig(dir);
    expect(config.ropeScaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 16 });
    expect(config).toEqual(readHfModelConfig(fixtureDir('llama3-rope-scaling')));
  });
});

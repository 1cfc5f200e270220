// HyperCloning preserves the function: a property test over random configs of the whole family, on the tfjs backend.
// Not the presets on real checkpoints (clone-presets.test.ts) and not training after the clone.
import type { Backend, ModelConfig, RopeScaling } from '@hyperclone/core';
import { resolveConfig } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLONE_VARIANTS,
  planGrowth,
  applyGrowth,
  mulRightTransposed,
  randomOrthogonal,
  type GrowthOptions,
  type GrowthResult,
} from '../src/index.js';
import { comparePreservation } from './helpers/compare.js';
import { realTokens, roughWeights, runModel, type ModelRun } from './helpers/run-model.js';

let b: Backend;
beforeAll(async () => {
  b = await createTfjsBackend();
});
afterAll(() => b?.close());

/** Largest |Δlogit| seen per variant (and per growth: rotated, deeper), printed at the end for the record. */
const worst = new Map<string, number>();
afterAll(() => {
  const rows = [...worst].map(([variant, d]) => `${variant}: ${d.toExponential(2)}`);
  console.log(`largest |Δlogit| per variant (${b?.engine}, fp32): ${rows.join(', ')}`);
});

const caseArb = fc.record({
  norm: fc.constantFrom('layernorm', 'rmsnorm'),
  position: fc.constantFrom('learned', 'rope'),
  mlp: fc.constantFrom('gelu', 'swiglu'),
  bias: fc.boolean(),
  tied: fc.boolean(),
  attention: fc.constantFrom('mha', 'gqa', 'mqa'),
  headDim: fc.constantFrom(2, 4),
  dModel: fc.constantFrom(8, 12),
  dFF: fc.constantFrom(6, 16),
  nLayer: fc.constantFrom(1, 2),
  logitScale: fc.constantFrom(1, 0.5),
  width: fc.constantFrom(2, 3, 4),
  ffn: fc.constantFrom(1, 2, 3, 4),
  variant: fc.constantFrom(...CLONE_VARIANTS),
  tie: fc.constantFrom('keep', 'untie'),
  snrDb: fc.constantFrom(0, 10, 20),
  rotate: fc.boolean(),
  depth: fc.constantFrom(1, 1, 2, 3),
  depthPlacement: fc.constantFrom('interleave', 'stack'),
  seed: fc.integer({ min: 0, max: 10_000 }),
  // the Hugging Face families' extras
  activation: fc.constantFrom('default', 'gelu-exact', 'relu', 'silu', 'gelu-tanh'),
  parallel: fc.boolean(),
  partialRope: fc.boolean(),
  positionOffset: fc.constantFrom(0, 2),
  biasGroups: fc.constantFrom('same', 'qkv-only', 'no-o', 'no-mlp'),
  // the block shapes and extras of OPT-350M, Gemma 1-2, OLMo 1-2, Phi and Phi-3
  placement: fc.constantFrom('pre', 'pre', 'post', 'sandwich', 'after'),
  finalNorm: fc.constantFrom(true, true, false),
  normAffine: fc.constantFrom(true, true, false),
  gainPlusOne: fc.boolean(),
  sharedNorm: fc.boolean(),
  embedDim: fc.constantFrom(0, 0, 6),
  scaleEmbedding: fc.boolean(),
  attnScale: fc.constantFrom(0, 0.3),
  attnSoftcap: fc.constantFrom(0, 0, 1.5),
  logitSoftcap: fc.constantFrom(0, 0, 5),
  qkvClip: fc.constantFrom(0, 0, 0.5),
  qkNorm: fc.boolean(),
  window: fc.constantFrom(0, 0, 3, 5),
  layerTypes: fc.constantFrom('all', 'alternate', 'last-full'),
  ropeScaling: fc.constantFrom('none', 'none', 'linear', 'dynamic', 'llama3', 'yarn', 'longrope'),
});
type Case = typeof caseArb extends fc.Arbitrary<infer C> ? C : never;

/**
 * Parallel blocks and rotation need norms before the branches, and a LayerNorm model's rotation a final norm, no q/k norms
 * and, with biases, no embedding projection (foldedConfig);
 * identity blocks cannot keep a post-norm model's function (deepConfig).
 */
const placementOf = (k: Case) => k.placement;
const parallelOf = (k: Case) => k.parallel && k.placement === 'pre';
const rotateOf = (k: Case) =>
  k.rotate && k.placement === 'pre' && (k.norm === 'rmsnorm' || (k.finalNorm && !k.qkNorm && !(k.bias && k.embedDim > 0)));
const depthOf = (k: Case) => (k.placement === 'post' ? 1 : k.depth);

function ropeScalingOf(k: Case, ropeDims: number): RopeScaling | undefined {
  const pairs = ropeDims / 2;
  switch (k.ropeScaling) {
    case 'none':
      return undefined;
    case 'linear':
    case 'dynamic':
      return { type: k.ropeScaling, factor: 4 };
    case 'llama3':
      return { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8 };
    case 'yarn':
      return { type: 'yarn', factor: 4, attentionFactor: 1.14, betaFast: 32, betaSlow: 1, originalContextLength: 8 };
    case 'longrope': // the 12-token forward is longer than 8: the long factors
      return {
        type: 'longrope',
        shortFactor: Array.from({ length: pairs }, (_, i) => 1 + i),
        longFactor: Array.from({ length: pairs }, (_, i) => 2 + 3 * i),
        attentionFactor: 1.2,
        originalContextLength: 8,
      };
  }
}

/** The HF families' optional fields a case turns on (GPT-NeoX, OPT, Qwen2-style biases, and the block shapes above). */
function extras(k: Case): Partial<ModelConfig> {
  const x: Partial<ModelConfig> = {};
  if (k.activation !== 'default') x.activation = k.activation;
  if (parallelOf(k)) x.parallelResidual = true;
  if (parallelOf(k) && k.sharedNorm) x.parallelSharedNorm = true;
  if (placementOf(k) !== 'pre') x.normPlacement = placementOf(k);
  if (!k.finalNorm) x.finalNorm = false;
  if (!k.normAffine) x.normAffine = false;
  else if (k.gainPlusOne) x.normGainPlusOne = true;
  if (k.embedDim > 0) x.embedDim = k.embedDim;
  if (k.scaleEmbedding) x.scaleEmbedding = true;
  if (k.attnScale > 0) x.attnScale = k.attnScale;
  if (k.attnSoftcap > 0) x.attnSoftcap = k.attnSoftcap;
  if (k.logitSoftcap > 0) x.logitSoftcap = k.logitSoftcap;
  if (k.qkvClip > 0) x.qkvClip = k.qkvClip;
  if (k.qkNorm) x.qkNorm = true;
  if (k.window > 0) {
    x.slidingWindow = k.window;
    if (k.layerTypes === 'alternate') x.layerTypes = Array.from({ length: k.nLayer }, (_, i) => (i % 2 === 0 ? 'sliding' : 'full'));
    if (k.layerTypes === 'last-full') x.layerTypes = Array.from({ length: k.nLayer }, (_, i) => (i === k.nLayer - 1 ? 'full' : 'sliding'));
  }
  if (k.position === 'rope' && k.partialRope && k.headDim === 4) x.ropeDims = 2;
  if (k.position === 'learned' && k.positionOffset > 0) x.positionOffset = k.positionOffset;
  if (k.biasGroups === 'qkv-only') Object.assign(x, { bias: false, qkvBias: true });
  if (k.biasGroups === 'no-o') x.oBias = false;
  if (k.biasGroups === 'no-mlp') x.mlpBias = false;
  if (k.position === 'rope') {
    const scaling = ropeScalingOf(k, x.ropeDims ?? k.headDim);
    if (scaling) x.ropeScaling = scaling;
  }
  return x;
}

function sourceConfig(k: Case): ModelConfig {
  const nHead = k.attention === 'gqa' ? 4 : 2;
  const nKvHead = k.attention === 'mha' ? nHead : k.attention === 'gqa' ? 2 : 1;
  return resolveConfig({
    norm: k.norm,
    position: k.position,
    mlp: k.mlp,
    bias: k.bias,
    tieEmbeddings: k.tied,
    logitScale: k.logitScale,
    nHead,
    nKvHead,
    headDim: k.headDim,
    dModel: k.dModel,
    dFF: k.dFF,
    nLayer: k.nLayer,
    vocabSize: 257,
    contextLength: 16,
    ...extras(k),
  });
}

function cloneOptions(k: Case): GrowthOptions {
  const o: GrowthOptions = { width: k.width, ffn: k.ffn, variant: k.variant, seed: k.seed };
  if (!rotateOf(k)) o.tie = k.tie; // a rotation unties a tied model
  if (k.variant.startsWith('noisy')) o.snrDb = k.snrDb;
  if (rotateOf(k)) o.rotate = true;
  if (depthOf(k) > 1) Object.assign(o, { depth: depthOf(k), placement: k.depthPlacement });
  return o;
}

/**
 * The grown model's hidden states in the clone's basis (the rotation undone: h·Qᵀ), each paired with
 * the source's state after the last old block at or before it (a new identity block leaves the
 * stream as it was, so the state after it must equal that one too). Rotating a LayerNorm model
 * centers its stream first, so the source's states are compared centered then.
 */
function aligned(src: ModelRun, wide: ModelRun, clone: GrowthResult): { src: ModelRun; wide: ModelRun } {
  const C = clone.config.dModel;
  const q = clone.clone.rotate ? randomOrthogonal(C, clone.clone.seed) : null;
  const centered = q !== null && clone.clone.sourceConfig.norm === 'layernorm';
  const srcHidden = centered ? src.hidden.map((h) => centerRows(h, clone.clone.sourceConfig.dModel)) : src.hidden;
  const unrotate = (h: Float32Array) => (q ? Float32Array.from(mulRightTransposed(Float64Array.from(h), h.length / C, q, C)) : h);
  const plan = clone.clone.depth?.sourceBlocks ?? wide.hidden.map((_, i) => i);
  let last = -1;
  const sources = plan.map((source) => (last = source ?? last));
  return {
    src: { ...src, hidden: sources.map((i) => srcHidden[i]!) },
    wide: { ...wide, hidden: wide.hidden.map(unrotate) },
  };
}

function centerRows(h: Float32Array, C: number): Float32Array {
  const out = h.slice();
  for (let r = 0; r < h.length / C; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += h[r * C + c]! / C;
    for (let c = 0; c < C; c++) out[r * C + c]! -= mean;
  }
  return out;
}

describe('function preservation (property test, tfjs fp32)', () => {
  it('holds for random configs of the whole family (HF extras too), multipliers 2-4, every variant, tie mode and attention kind, rotated or not, deeper or not', () => {
    const seen = new Set<string>();
    const B = 2;
    const T = 12;
    fc.assert(
      fc.property(caseArb, (k) => {
        const config = sourceConfig(k);
        const weights = roughWeights(config, k.seed);
        const clone = applyGrowth(config, weights, cloneOptions(k));
        const plan = planGrowth(config, cloneOptions(k));
        expect({ config: plan.config, clone: plan.clone }, 'planGrowth agrees').toEqual({ config: clone.config, clone: clone.clone });
        const { inputs, targets } = realTokens(B, T, k.seed);
        const runs = aligned(
          runModel(b, config, weights, inputs, targets, B),
          runModel(b, clone.config, clone.weights, inputs, targets, B),
          clone,
        );
        const p = comparePreservation(runs.src, runs.wide, 257, config.dModel, k.width);
        const where = JSON.stringify(k);
        expect(p.maxAbsLogit, where).toBeLessThanOrEqual(1e-4);
        expect(p.relLogit, where).toBeLessThan(1e-5);
        expect(p.top1Mismatches, where).toBe(0);
        expect(p.lossDiff, where).toBeLessThanOrEqual(1e-5);
        expect(p.maxHidden, where).toBeLessThan(1e-5);
        for (const key of [k.variant, ...(rotateOf(k) ? ['rotated'] : []), ...(depthOf(k) > 1 ? [`depth ${k.depthPlacement}`] : [])])
          worst.set(key, Math.max(worst.get(key) ?? 0, p.maxAbsLogit));
        for (const tag of [
          k.variant,
          k.attention,
          `width${k.width}`,
          k.norm,
          k.position,
          k.mlp,
          `bias${k.bias}`,
          k.tied ? `tied-${k.tie}` : 'untied',
          k.ffn !== k.width ? 'ffn!=width' : 'ffn=width',
          ...Object.keys(extras(k)),
          ...(k.activation === 'default' ? [] : [k.activation]),
          rotateOf(k) ? `rotate-${k.norm}-${k.tied ? 'tied' : 'untied'}` : 'no-rotate',
          clone.config.headBias ? 'rotate-head-bias' : 'no-head-bias',
          rotateOf(k) && k.norm === 'layernorm' && k.bias && k.biasGroups === 'no-mlp' ? 'rotate-adds-mlp-bias' : 'other-biases',
          depthOf(k) > 1 ? `depth-${k.depthPlacement}` : 'depth1',
          `placement-${k.placement}`,
          ...(depthOf(k) > 1 ? [`depth-${k.placement}`] : []),
          ...(rotateOf(k) ? Object.keys(extras(k)).map((key) => `rotate-${key}`) : []),
          ...(k.ropeScaling !== 'none' && k.position === 'rope' ? [`rope-${k.ropeScaling}`] : []),
          ...(k.layerTypes !== 'all' && k.window > 0 ? ['layerTypes'] : []),
        ]) {
          seen.add(tag);
        }
      }),
      { numRuns: 400, seed: 20240917 },
    );
    // the run must have covered the whole family, not only what it happened to draw
    for (const tag of [
      ...CLONE_VARIANTS,
      'mha',
      'gqa',
      'mqa',
      'width2',
      'width3',
      'width4',
      'layernorm',
      'rmsnorm',
      'learned',
      'rope',
      'gelu',
      'swiglu',
      'biastrue',
      'biasfalse',
      'tied-keep',
      'tied-untie',
      'untied',
      'ffn!=width',
      'ffn=width',
      'gelu-exact',
      'relu',
      'silu',
      'parallelResidual',
      'ropeDims',
      'positionOffset',
      'qkvBias',
      'oBias',
      'mlpBias',
      'rotate-layernorm-tied',
      'rotate-layernorm-untied',
      'rotate-rmsnorm-tied',
      'rotate-rmsnorm-untied',
      'no-rotate',
      'rotate-head-bias',
      'rotate-adds-mlp-bias',
      'depth-interleave',
      'depth-stack',
      'depth1',
      'placement-pre',
      'placement-post',
      'placement-sandwich',
      'placement-after',
      'depth-sandwich',
      'depth-after',
      'normPlacement',
      'finalNorm',
      'normAffine',
      'normGainPlusOne',
      'parallelSharedNorm',
      'embedDim',
      'scaleEmbedding',
      'attnScale',
      'attnSoftcap',
      'logitSoftcap',
      'qkvClip',
      'qkNorm',
      'slidingWindow',
      'layerTypes',
      'rope-linear',
      'rope-dynamic',
      'rope-llama3',
      'rope-yarn',
      'rope-longrope',
      'rotate-normGainPlusOne',
      'rotate-normAffine',
      'rotate-embedDim',
      'rotate-scaleEmbedding',
      'rotate-qkNorm',
      'rotate-parallelSharedNorm',
    ]) {
      expect(seen, tag).toContain(tag);
    }
  });

  it('holds when the heads grow apart from the width (head_dim kept), with the kv heads as the query heads or, for MQA, any', () => {
    const headsArb = fc.record({ k: caseArb, heads: fc.constantFrom(1, 2, 3), kv: fc.constantFrom('default', 'heads', 'other') });
    const seen = new Set<string>();
    fc.assert(
      fc.property(headsArb, ({ k, heads, kv }) => {
        const config = sourceConfig(k);
        const kvHeads = kv === 'heads' ? heads : kv === 'other' && k.attention === 'mqa' ? 2 : undefined;
        const options: GrowthOptions = { ...cloneOptions(k), heads, ...(kvHeads !== undefined ? { kvHeads } : {}) };
        const weights = roughWeights(config, k.seed);
        const grown = applyGrowth(config, weights, options);
        expect(grown.config.nHead).toBe(config.nHead * heads);
        expect(grown.config.headDim).toBe(config.headDim);
        const { inputs, targets } = realTokens(2, 12, k.seed);
        const runs = aligned(
          runModel(b, config, weights, inputs, targets, 2),
          runModel(b, grown.config, grown.weights, inputs, targets, 2),
          grown,
        );
        const p = comparePreservation(runs.src, runs.wide, 257, config.dModel, k.width);
        const where = JSON.stringify({ ...k, heads, kvHeads });
        expect(p.maxAbsLogit, where).toBeLessThanOrEqual(1e-4);
        expect(p.top1Mismatches, where).toBe(0);
        expect(p.lossDiff, where).toBeLessThanOrEqual(1e-5);
        expect(p.maxHidden, where).toBeLessThan(1e-5);
        worst.set('heads != width', Math.max(worst.get('heads != width') ?? 0, heads === k.width ? 0 : p.maxAbsLogit));
        seen.add(
          `${k.attention}-heads${heads === k.width ? '=' : '!='}width${kvHeads === undefined ? '' : `-kv${kvHeads === heads ? '=heads' : '!=heads'}`}`,
        );
      }),
      { numRuns: 80, seed: 20250101 },
    );
    for (const tag of [
      'mha-heads!=width',
      'gqa-heads!=width',
      'mqa-heads!=width',
      'gqa-heads!=width-kv=heads',
      'mqa-heads!=width-kv!=heads',
    ])
      expect(seen, tag).toContain(tag);
  });
});

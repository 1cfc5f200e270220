// Conformance of the whole model on a backend: forward + crossEntropyLoss gradients of a tiny GPT and a
// tiny Llama-style config against finite differences, and no leaked tensors. Not parity with PyTorch.

import type { Backend, Tensor } from '../backend.js';
import { resolveConfig, type ModelConfig } from '../config.js';
import { hostTensor, int32, numel, type HostTensor } from '../host-tensor.js';
import { crossEntropyLoss } from '../loss.js';
import { forward } from '../model.js';
import { paramSpec } from '../param-spec.js';
import { Rng } from '../rng.js';
import { assertTrue, type ConformanceCheck } from './assert.js';
import { checkGradients } from './finite-difference.js';

/** What every tiny model here shares: 11 tokens, a context of 8, two blocks. */
const TINY_SHAPE = { vocabSize: 11, contextLength: 8, nLayer: 2 } as const;
/** The widths most of them have (d 8, two heads, an MLP of 16); the others state their own. */
const TINY_SIZES = { ...TINY_SHAPE, dModel: 8, nHead: 2, dFF: 16 } as const;

/** GPT-2 style: layernorm with bias, learned positions, GELU, tied embeddings, a logit scale. */
export const TINY_GPT: ModelConfig = resolveConfig({
  ...TINY_SIZES,
  logitScale: 0.5,
});

/** Llama style: RMSNorm, rope, SwiGLU, grouped-query attention (4 query heads on 2 kv heads), untied head. */
export const TINY_LLAMA: ModelConfig = resolveConfig({
  ...TINY_SHAPE,
  dModel: 16,
  nHead: 4,
  nKvHead: 2,
  dFF: 24,
  norm: 'rmsnorm',
  position: 'rope',
  mlp: 'swiglu',
  bias: false,
  tieEmbeddings: false,
});

/** GPT-NeoX style: parallel residual, partial rotary (2 of 4 dims), exact GELU, no attention-output bias, untied. */
export const TINY_NEOX: ModelConfig = resolveConfig({
  ...TINY_SIZES,
  position: 'rope',
  ropeDims: 2,
  norm: 'layernorm',
  mlp: 'gelu',
  bias: true,
  oBias: false,
  activation: 'gelu-exact',
  parallelResidual: true,
  tieEmbeddings: false,
});

/** OPT style: learned positions from row 2, MQA, no MLP biases, tied (silu, not OPT's relu: finite differences trip on relu's kink). */
export const TINY_OPT: ModelConfig = resolveConfig({
  ...TINY_SHAPE,
  dModel: 8,
  nHead: 2,
  nKvHead: 1,
  dFF: 16,
  positionOffset: 2,
  activation: 'silu',
  mlpBias: false,
});

/** OPT-350M style: post-norm blocks, no final norm, a 6-wide embedding projected in and out, tied. */
export const TINY_OPT_POST: ModelConfig = resolveConfig({
  ...TINY_SIZES,
  positionOffset: 2,
  activation: 'silu',
  normPlacement: 'post',
  finalNorm: false,
  embedDim: 6,
});

/**
 * Gemma 2 style: (1 + w) RMSNorm in sandwich placement, embeddings times sqrt(dModel), 3 heads of 4 on 12 wide
 * (head_dim apart from dModel / heads), GQA, gated tanh GELU, scores scaled by 1/sqrt(8) and soft-capped at 2,
 * logits soft-capped at 3, a sliding window of 3 on the first layer only, YaRN rope scaling, tied.
 */
export const TINY_GEMMA2: ModelConfig = resolveConfig({
  ...TINY_SHAPE,
  dModel: 12,
  nHead: 4,
  nKvHead: 2,
  headDim: 4,
  dFF: 16,
  norm: 'rmsnorm',
  position: 'rope',
  mlp: 'swiglu',
  activation: 'gelu-tanh',
  bias: false,
  tieEmbeddings: true,
  normGainPlusOne: true,
  normPlacement: 'sandwich',
  scaleEmbedding: true,
  attnScale: 1 / Math.sqrt(8),
  attnSoftcap: 2,
  logitSoftcap: 3,
  slidingWindow: 3,
  layerTypes: ['sliding', 'full'],
  ropeScaling: { type: 'yarn', factor: 4, attentionFactor: 1.1386, betaFast: 32, betaSlow: 1, originalContextLength: 4 },
});

/** OLMo style: parameter-free LayerNorm, q/k/v clipped at 1.5 (some entries beyond it), SwiGLU, untied. */
export const TINY_OLMO: ModelConfig = resolveConfig({
  ...TINY_SIZES,
  norm: 'layernorm',
  normAffine: false,
  position: 'rope',
  mlp: 'swiglu',
  bias: false,
  tieEmbeddings: false,
  qkvClip: 1.5,
});

/** OLMo 2 style: norms after each branch, RMSNorms over the whole q and k projections, GQA, llama3 rope scaling. */
export const TINY_OLMO2: ModelConfig = resolveConfig({
  ...TINY_SHAPE,
  dModel: 8,
  nHead: 4,
  nKvHead: 2,
  dFF: 16,
  norm: 'rmsnorm',
  position: 'rope',
  mlp: 'swiglu',
  bias: false,
  tieEmbeddings: false,
  normPlacement: 'after',
  qkNorm: true,
  ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8 },
});

/** Phi style: a parallel block on one LayerNorm, rotary on half of each head, a biased head, untied. */
export const TINY_PHI: ModelConfig = resolveConfig({
  ...TINY_SIZES,
  position: 'rope',
  ropeDims: 2,
  parallelResidual: true,
  parallelSharedNorm: true,
  headBias: true,
  tieEmbeddings: false,
});

/** Phi-3 style: Llama's block, a sliding window of 3 on every layer, longrope scaling (6 tokens > 4: the long factors). */
export const TINY_PHI3: ModelConfig = resolveConfig({
  ...TINY_SHAPE,
  dModel: 8,
  nHead: 2,
  dFF: 12,
  norm: 'rmsnorm',
  position: 'rope',
  mlp: 'swiglu',
  bias: false,
  tieEmbeddings: false,
  slidingWindow: 3,
  ropeScaling: { type: 'longrope', shortFactor: [1, 1.5], longFactor: [2, 3], attentionFactor: 1.2, originalContextLength: 4 },
});

/**
 * Weights larger than a real init (std 0.4, norms 1 ± 0.2), so every parameter moves the loss well
 * above float32 noise and finite differences can see it.
 */
export function conformanceWeights(config: ModelConfig, seed = 1): Map<string, HostTensor> {
  const weights = new Map<string, HostTensor>();
  for (const s of paramSpec(config)) {
    const rng = new Rng(seed, s.name);
    const data = new Float32Array(numel(s.shape));
    if (s.init === 'ones') rng.fillNormal(data, 0.2, 1);
    else rng.fillNormal(data, s.init === 'zeros' ? 0.2 : 0.4);
    weights.set(s.name, hostTensor(s.shape, data));
  }
  return weights;
}

const B = 2;
const T = 6;
const TOKENS = int32([B, T], [1, 5, 2, 9, 0, 3, 7, 7, 4, 10, 6, 1]);
/** One target ignored (-1), as padding would be. */
const TARGETS = int32([B, T], [5, 2, 9, 0, 3, 8, 7, 4, 10, 6, 1, -1]);

/** The model's mean loss as a function of its parameters, in spec order. */
export function modelLoss(b: Backend, config: ModelConfig, names: string[], tokens: Tensor, targets: Tensor) {
  return (xs: Tensor[]): Tensor => {
    const params = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
    return crossEntropyLoss(b, forward(b, config, params, tokens).logits, targets);
  };
}

function modelGradCheck(label: string, config: ModelConfig): ConformanceCheck {
  const name = `valueAndGrad matches finite differences: forward + crossEntropyLoss of a tiny ${label}`;
  return {
    name,
    run: (b) => {
      const weights = conformanceWeights(config);
      const names = [...weights.keys()];
      const tokens = b.keep(b.fromHost(TOKENS));
      const targets = b.keep(b.fromHost(TARGETS));
      try {
        // without rope a key bias adds q·b to every score of a query, which softmax ignores: its gradient is 0
        // (rope rotates the bias differently at each key position, so there it counts)
        const zeroKeyBias = (n: string) => n.endsWith('attn.k.bias') && config.position === 'learned';
        const inputs = names.map((n) => ({ name: n, value: weights.get(n)!, coords: 2, expectZero: zeroKeyBias(n) }));
        checkGradients(b, name, modelLoss(b, config, names, tokens, targets), inputs);
      } finally {
        b.dispose([tokens, targets]);
      }
    },
  };
}

function modelLeakCheck(): ConformanceCheck {
  return {
    name: 'forward + backward of a tiny model inside tidy leaves liveTensors unchanged',
    run: (b) => {
      for (const config of [TINY_GPT, TINY_LLAMA, TINY_OLMO]) {
        const weights = conformanceWeights(config);
        const names = [...weights.keys()];
        const params = names.map((n) => b.keep(b.fromHost(weights.get(n)!)));
        const before = b.liveTensors();
        for (let step = 0; step < 3; step++) {
          b.tidy(() => {
            const loss = modelLoss(b, config, names, b.fromHost(TOKENS), b.fromHost(TARGETS));
            const { value, grads } = b.valueAndGrad(loss, params);
            assertTrue(grads.length === params.length && Number.isFinite(b.toHost(value).data[0]!), 'valueAndGrad gave no finite loss');
          });
          const after = b.liveTensors();
          assertTrue(
            after === before,
            `a forward + backward step inside tidy left ${after - before} more live tensors (${before} -> ${after})`,
          );
        }
        b.dispose(params);
      }
    },
  };
}

export function modelChecks(): ConformanceCheck[] {
  return [
    modelGradCheck('GPT (layernorm, learned positions, gelu, tied, logitScale 0.5)', TINY_GPT),
    modelGradCheck('Llama (rmsnorm, rope, swiglu, GQA 4 heads on 2 kv heads, untied)', TINY_LLAMA),
    modelGradCheck('GPT-NeoX (parallel residual, partial rotary, exact gelu, no o bias)', TINY_NEOX),
    modelGradCheck('OPT-like (position offset 2, MQA, no mlp bias, silu)', TINY_OPT),
    modelGradCheck('OPT-350M-like (post-norm, no final norm, embedding projected in and out)', TINY_OPT_POST),
    modelGradCheck('Gemma-2-like ((1 + w) sandwich norms, scaled embedding, soft-caps, a sliding layer, yarn)', TINY_GEMMA2),
    modelGradCheck('OLMo-like (parameter-free LayerNorm, q/k/v clipped)', TINY_OLMO),
    modelGradCheck('OLMo-2-like (norms after the branches, q/k norms, llama3 rope scaling)', TINY_OLMO2),
    modelGradCheck('Phi-like (parallel block on one norm, partial rotary, head bias)', TINY_PHI),
    modelGradCheck('Phi-3-like (sliding window on every layer, longrope)', TINY_PHI3),
    modelLeakCheck(),
  ];
}

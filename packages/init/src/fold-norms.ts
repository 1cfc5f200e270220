// foldNorms: a model whose norms have unit gains and no biases, computing the same function, the
// first half of rotating the residual stream (SliceGPT's computational invariance). Not the rotation
// itself (rotate-weights.ts).

import type { HostTensor, ModelConfig, ParamSpec, StateDict } from '@hyperclone/core';
import { checkWeights, hasBias, hasEmbedProjection, hostTensor, normPlacementOf, numel, paramSpec, validateConfig } from '@hyperclone/core';

/** float64 working copies of a state dict, with shapes. */
export type Weights64 = Map<string, { shape: number[]; data: Float64Array }>;

/**
 * The folded model: rmsnorm with every gain 1 and the old gains (and LayerNorm biases) folded into
 * the linears that read each norm, untied, and with reader biases (the head's included) wherever a
 * LayerNorm bias had to go.
 *   1. A tied head becomes its own lm_head (the embedding and the head fold differently).
 *   2. LayerNorm only: every writer of the stream (embeddings, attn.o, mlp.down and their biases) is
 *      centered, so the stream has zero mean and LayerNorm equals RMSNorm (same eps).
 *   3. Each norm's gain g and bias β go into its readers: W ← W·diag(g), b ← b + W·β; g ← 1.
 * RMSNorm with unit gain commutes with any orthogonal Q: rms(x·Q) = rms(x).
 */
export function foldNorms(config: ModelConfig, weights: StateDict): { config: ModelConfig; weights: StateDict } {
  const folded = foldNorms64(config, weights);
  return { config: folded.config, weights: toFloat32(folded.config, folded.weights) };
}

export function foldNorms64(config: ModelConfig, weights: StateDict): { config: ModelConfig; weights: Weights64 } {
  validateConfig(config);
  checkWeights(config, weights, 'the model to fold');
  const folded = foldedConfig(config);
  const w = toFloat64(weights);
  if (config.tieEmbeddings) w.set('lm_head.weight', copy(w.get('tok_emb.weight')!));
  const specs = paramSpec(folded);
  for (const s of specs.filter((p) => !w.has(p.name))) {
    if (s.kind !== 'bias') throw new Error(`foldNorms: the folded model needs ${s.name}, which the source lacks (a foldNorms bug)`);
    w.set(s.name, { shape: s.shape, data: new Float64Array(numel(s.shape)) }); // a bias a LayerNorm bias folds into
  }
  if (config.norm === 'layernorm') for (const s of specs) if (s.stream === 'writes') center(s, w.get(s.name)!.data);
  const offset = config.normGainPlusOne ? 1 : 0; // Gemma's gain is 1 + weight
  for (const s of paramSpec(config).filter((p) => p.kind === 'norm' && p.name.endsWith('.weight'))) {
    if (s.stream === 'normalizes') foldNorm(s.name.slice(0, -'.weight'.length), specs, w, offset);
    else w.get(s.name)!.data.forEach((g, j, gain) => (gain[j] = g + offset)); // a q/k norm keeps its gain, now a plain one
  }
  return { config: folded, weights: new Map(specs.map((s) => [s.name, w.get(s.name)!])) };
}

/**
 * rmsnorm, untied, gains as they are (not 1 + weight); where LayerNorm biases go into the readers, every
 * reader needs a bias: the q/k/v and MLP groups get one (zeros where the source had none), and the head
 * gets `headBias`. Only pre-norm blocks fold: a norm on the stream itself (post) or on a branch's output
 * (sandwich, after) keeps its gain after the readers, where no rotation passes it.
 */
export function foldedConfig(config: ModelConfig): ModelConfig {
  const placement = normPlacementOf(config);
  if (placement !== 'pre')
    throw new Error(
      `cannot rotate a model with ${placement}-norm blocks: only a norm before each branch folds into the linears that read it; ` +
        'grow it without rotate',
    );
  if (config.norm === 'layernorm' && config.qkNorm)
    throw new Error(
      'cannot rotate a LayerNorm model with q/k norms: folding turns every norm into RMSNorm, and q and k are not centered; ' +
        'grow it without rotate',
    );
  if (config.norm === 'layernorm' && config.bias && hasEmbedProjection(config))
    throw new Error(
      "cannot rotate a LayerNorm model with biases whose embedding is projected: the final norm's bias has nowhere to go " +
        '(proj_out has none); grow it without rotate',
    );
  if (config.norm === 'layernorm' && config.finalNorm === false)
    throw new Error(
      'cannot rotate a LayerNorm model without a final norm: folding centers the stream, and only a norm before the head ' +
        'hides its mean from the logits; grow it without rotate',
    );
  const folded: ModelConfig = { ...config, norm: 'rmsnorm', tieEmbeddings: false };
  delete folded.normGainPlusOne;
  if (config.norm === 'layernorm' && config.bias) {
    folded.headBias = true;
    if (!hasBias(config, 'qkv')) folded.qkvBias = true;
    if (!hasBias(config, 'mlp')) folded.mlpBias = true;
  }
  validateConfig(folded);
  return folded;
}

/** Moves the gain (offset + weight) and bias of the norm `prefix` into every linear that reads through it. */
function foldNorm(prefix: string, specs: ParamSpec[], w: Weights64, offset: number): void {
  const gain = w.get(`${prefix}.weight`)!.data;
  if (offset !== 0) for (let j = 0; j < gain.length; j++) gain[j]! += offset;
  const beta = w.get(`${prefix}.bias`)?.data ?? null;
  for (const r of specs.filter((s) => s.readsThrough === prefix)) {
    const weight = w.get(r.name)!.data; // (out, C)
    const [out, C] = r.shape as [number, number];
    const biasName = `${r.name.slice(0, -'.weight'.length)}.bias`;
    const bias = w.get(biasName)?.data;
    if (beta && !bias) throw new Error(`cannot fold the bias of ${prefix} into ${r.name}: it has no bias (${biasName})`);
    for (let i = 0; i < out; i++) {
      let shift = 0;
      for (let j = 0; j < C; j++) {
        const v = weight[i * C + j]!;
        if (beta) shift += v * beta[j]!;
        weight[i * C + j] = v * gain[j]!;
      }
      if (bias) bias[i]! += shift;
    }
  }
  gain.fill(1);
  w.delete(`${prefix}.bias`);
}

/** Makes a writer's contribution to the stream mean-zero along its model axis. */
function center(s: ParamSpec, data: Float64Array): void {
  const modelDim = s.axes.indexOf('model');
  if (s.axes.length === 1) return subtractMean(data, 0, data.length, 1);
  const [rows, cols] = s.shape as [number, number];
  if (modelDim === 1)
    for (let i = 0; i < rows; i++) subtractMean(data, i * cols, cols, 1); // embedding rows
  else for (let j = 0; j < cols; j++) subtractMean(data, j, rows, cols); // a linear's columns
}

function subtractMean(data: Float64Array, start: number, n: number, stride: number): void {
  let sum = 0;
  for (let k = 0; k < n; k++) sum += data[start + k * stride]!;
  const mean = sum / n;
  for (let k = 0; k < n; k++) data[start + k * stride]! -= mean;
}

export function toFloat64(weights: StateDict): Weights64 {
  const out: Weights64 = new Map();
  for (const [name, t] of weights) {
    if (t.dtype !== 'float32') throw new Error(`parameter "${name}" is ${t.dtype}; weights must be float32`);
    out.set(name, { shape: [...t.shape], data: Float64Array.from(t.data as Float32Array) });
  }
  return out;
}

export function toFloat32(config: ModelConfig, w: Weights64): StateDict {
  const out: StateDict = new Map<string, HostTensor>();
  for (const s of paramSpec(config)) out.set(s.name, hostTensor(s.shape, Float32Array.from(w.get(s.name)!.data)));
  return out;
}

function copy(t: { shape: number[]; data: Float64Array }): { shape: number[]; data: Float64Array } {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}

// The GPT forward pass for the whole family, written once on the Backend ops, top to bottom, and the
// training loss through the fused classifier (the head and cross-entropy in one op, so the logits need
// never exist whole). Not training (the trainer owns optimizer and loop) and not weights (initializers make those).
//
// Dimension letters: B batch, T time, C dModel, H query heads, K kv heads, D headDim, F dFF, V vocab,
// E the token embedding's width (C unless the model projects it in and out).

import type { Backend, FusedOps, Tensor } from './backend.js';
import type { ModelConfig } from './config.js';
import { activationOf, attnScaleOf, hasEmbedProjection, normPlacementOf, positionOffsetOf, ropeDimsOf, slidingWindowOf } from './config.js';
import { fusedOps } from './fused-reference.js';
import { hostTensor } from './host-tensor.js';
import { crossEntropyLoss, IGNORE_INDEX } from './loss.js';
import { headWeightName } from './param-spec.js';
import { ropeFrequencies } from './rope-scaling.js';

/** Parameters by canonical name (see param-spec.ts). */
export type Params = Readonly<Record<string, Tensor>>;

export interface ForwardOptions {
  /** Training mode: dropout is on when config.dropout > 0. */
  train?: boolean;
  /** Seed for this forward's dropout masks (each dropout site derives its own from its place, see DROPOUT_SITE_STRIDE). */
  dropoutSeed?: number;
  /** Also return the residual stream after each block (for clone checks). */
  collectHidden?: boolean;
}

export interface ForwardResult {
  /** (B, T, V) */
  logits: Tensor;
  /** (B, T, C) after each block, when asked for. */
  hidden: Tensor[];
}

/** Token embedding (+ learned positions), nLayer blocks, final norm, LM head. */
export function forward(b: Backend, c: ModelConfig, p: Params, tokens: Tensor, options: ForwardOptions = {}): ForwardResult {
  const { m, features, hidden } = trunk(b, c, p, tokens, options);
  return { logits: head(m, features), hidden }; // logits (B, T, V)
}

/**
 * Mean next-token cross-entropy (nats) of tokens (B, T) against int32 targets (B, T), skipping targets equal
 * to ignoreIndex: the trunk, then the head and the loss as one fused classifier (a soft-capped head, Gemma 2's:
 * the logits, then crossEntropyLoss). Equal to crossEntropyLoss(forward(...).logits, targets); an engine that
 * fuses it never holds the (B, T, V) logits.
 */
export function languageModelLoss(
  b: Backend,
  c: ModelConfig,
  p: Params,
  tokens: Tensor,
  targets: Tensor,
  options: ForwardOptions = {},
  ignoreIndex = IGNORE_INDEX,
): Tensor {
  const { m, features } = trunk(b, c, p, tokens, options);
  return classifierLoss(m, features, targets, ignoreIndex); // ()
}

/** The head and the mean cross-entropy of its features (B, T, E) as one fused classifier (a soft-capped head unfused). */
function classifierLoss(m: ForwardContext, features: Tensor, targets: Tensor, ignoreIndex: number): Tensor {
  const { b, c } = m;
  if (c.logitSoftcap !== undefined) return crossEntropyLoss(b, head(m, features), targets, ignoreIndex); // the soft-cap is not fused
  const flat = b.reshape(features, [-1, b.shape(features).at(-1)!]); // (B·T, E)
  const bias = m.maybe('lm_head.bias'); // (V) or none
  return m.f.linearCrossEntropy(flat, m.param(headWeightName(c)), bias, b.reshape(targets, [-1]), {
    ignoreIndex,
    logitScale: c.logitScale,
  }); // ()
}

/** Embedding, the blocks, the final norm (and proj_out): the features the head reads (B, T, E). */
function trunk(
  b: Backend,
  c: ModelConfig,
  p: Params,
  tokens: Tensor,
  options: ForwardOptions,
): { m: ForwardContext; features: Tensor; hidden: Tensor[] } {
  const [B, T] = b.shape(tokens) as [number, number];
  if (T > c.contextLength) throw new Error(`sequence length ${T} exceeds the model's context length ${c.contextLength}`);
  const m = forwardContext(b, c, p, B, T, options);
  let x = embed(m, tokens); // (B, T, C)
  const hidden: Tensor[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    x = block(m, x, i); // (B, T, C)
    if (options.collectHidden) hidden.push(x);
  }
  return { m, features: headInput(m, x), hidden }; // features (B, T, E)
}

/**
 * The same forward in three pieces that can run apart, each on its own parameters (activation checkpointing
 * runs them inside separate gradient calls): the embedding, blocks [from, to), and the head. Chained, they
 * compute exactly what `forward` does, dropout masks included (every site's seed depends on its place only).
 */
export interface ForwardPieces {
  /** tokens (B, T) int32 -> the residual stream (B, T, C). */
  embed(p: Params, tokens: Tensor): Tensor;
  /** The residual stream entering block `from` -> the one leaving block `to - 1` (B, T, C). */
  blocks(p: Params, x: Tensor, from: number, to: number): Tensor;
  /** The residual stream after the last block -> logits (B, T, V). */
  head(p: Params, x: Tensor): Tensor;
  /** The residual stream after the last block and int32 targets (B, T) -> the mean loss through the fused classifier (). */
  loss(p: Params, x: Tensor, targets: Tensor, ignoreIndex?: number): Tensor;
}

export function forwardPieces(b: Backend, c: ModelConfig, B: number, T: number, options: ForwardOptions = {}): ForwardPieces {
  if (T > c.contextLength) throw new Error(`sequence length ${T} exceeds the model's context length ${c.contextLength}`);
  return {
    embed: (p, tokens) => embed(forwardContext(b, c, p, B, T, options), tokens),
    blocks(p, x, from, to) {
      const m = forwardContext(b, c, p, B, T, options);
      for (let i = from; i < to; i++) x = block(m, x, i); // (B, T, C)
      return x;
    },
    head(p, x) {
      const m = forwardContext(b, c, p, B, T, options);
      return head(m, headInput(m, x)); // (B, T, V)
    },
    loss(p, x, targets, ignoreIndex = IGNORE_INDEX) {
      const m = forwardContext(b, c, p, B, T, options);
      return classifierLoss(m, headInput(m, x), targets, ignoreIndex); // ()
    },
  };
}

/** What every piece of one forward reads: the backend, the config, the parameters, and this forward's dropout. */
interface ForwardContext {
  b: Backend;
  c: ModelConfig;
  f: FusedOps;
  B: number;
  T: number;
  param(name: string): Tensor;
  maybe(name: string): Tensor | null;
  dropoutRate: number;
  /** The seed of dropout site `site` of this forward (see dropoutSeed). */
  dropoutSeed: (site: number) => number;
  rope: RopeTables | null;
  /** A constant gain of ones [n], for parameter-free norms. */
  ones(n: number): Tensor;
}

function forwardContext(b: Backend, c: ModelConfig, p: Params, B: number, T: number, options: ForwardOptions): ForwardContext {
  const param = (name: string): Tensor => {
    const t = p[name];
    if (!t) throw new Error(`missing parameter "${name}"`);
    return t;
  };
  return {
    b,
    c,
    f: fusedOps(b),
    B,
    T,
    param,
    maybe: (name) => p[name] ?? null,
    dropoutRate: options.train ? c.dropout : 0,
    dropoutSeed: (site) => (options.dropoutSeed ?? 0) * DROPOUT_SITE_STRIDE + site,
    rope: c.position === 'rope' ? ropeTables(b, c, T) : null,
    ones: constantOnes(b),
  };
}

function constantOnes(b: Backend): (n: number) => Tensor {
  const made = new Map<number, Tensor>();
  return (n) => {
    if (!made.has(n)) made.set(n, b.fromHost(hostTensor([n], new Float32Array(n).fill(1))));
    return made.get(n)!;
  };
}

/**
 * Dropout sites in the order a forward reaches them: the embedding's is site 0, block i's are 1 + 3·i + k
 * (k = 0 attention probabilities, 1 attention output, 2 MLP output). Site s of the forward seeded S gets
 * S·1009 + s. 1009 is a prime above the number of sites of any model here (1 + 3·nLayer), so no two
 * (forward, site) pairs share a seed while nLayer < 336.
 */
const DROPOUT_SITE_STRIDE = 1009;
const EMBED_SITE = 0;
const blockSite = (block: number, k: 0 | 1 | 2): number => 1 + 3 * block + k;

function dropout(m: ForwardContext, x: Tensor, site: number): Tensor {
  return m.dropoutRate > 0 ? m.b.dropout(x, m.dropoutRate, m.dropoutSeed(site)) : x; // same shape as x
}

/** The token embedding (times sqrt(C) for Gemma, projected in for OPT-350M), plus learned positions. */
function embed(m: ForwardContext, tokens: Tensor): Tensor {
  const { b, c, T } = m;
  let x = b.gather(m.param('tok_emb.weight'), tokens); // (B, T, E)
  if (c.scaleEmbedding) x = b.mul(x, b.scalar(Math.sqrt(c.dModel))); // (B, T, E)
  if (hasEmbedProjection(c)) x = project(m, x, 'proj_in'); // (B, T, C)
  if (c.position === 'learned') {
    const offset = positionOffsetOf(c); // OPT's learned positions start at row 2
    const positions = b.fromHost(
      hostTensor(
        [T],
        Int32Array.from({ length: T }, (_, t) => t + offset),
      ),
    ); // (T)
    x = b.add(x, b.gather(m.param('pos_emb.weight'), positions)); // (B, T, C) + (T, C)
  }
  return dropout(m, x, EMBED_SITE); // (B, T, C)
}

/**
 * Two residual branches, attention then MLP, each with its norms where the config places them
 * (sublayer); parallel (GPT-NeoX, Phi): x + attention(norm1(x)) + mlp(norm2(x)), Phi's MLP reading norm1 too.
 */
function block(m: ForwardContext, x: Tensor, layer: number): Tensor {
  const { b } = m;
  const prefix = `blocks.${layer}`;
  const attn = (h: Tensor): Tensor => attention(m, h, `${prefix}.attn`, layer); // (B, T, C)
  const ffn = (h: Tensor): Tensor => mlp(m, h, `${prefix}.mlp`, layer); // (B, T, C)
  if (m.c.parallelResidual) {
    const h1 = norm(m, x, `${prefix}.norm1`); // (B, T, C)
    const h2 = m.c.parallelSharedNorm ? h1 : norm(m, x, `${prefix}.norm2`); // (B, T, C)
    return b.add(b.add(x, attn(h1)), ffn(h2)); // (B, T, C)
  }
  const h = sublayer(m, x, attn, `${prefix}.norm1`, `${prefix}.post_attn_norm`); // (B, T, C)
  return sublayer(m, h, ffn, `${prefix}.norm2`, `${prefix}.post_mlp_norm`); // (B, T, C)
}

/**
 * One residual branch f with the config's norm placement: pre x + f(n(x)), post n(x + f(x)),
 * sandwich x + n'(f(n(x))), after x + n'(f(x)); `normName` is n, `outNormName` n'.
 */
function sublayer(m: ForwardContext, x: Tensor, f: (h: Tensor) => Tensor, normName: string, outNormName: string): Tensor {
  const placement = normPlacementOf(m.c);
  const input = placement === 'pre' || placement === 'sandwich' ? norm(m, x, normName) : x; // (B, T, C)
  let y = f(input); // (B, T, C)
  if (placement === 'sandwich' || placement === 'after') y = norm(m, y, outNormName); // (B, T, C)
  const sum = m.b.add(x, y); // (B, T, C)
  return placement === 'post' ? norm(m, sum, normName) : sum; // (B, T, C)
}

/**
 * Causal multi-head attention with grouped kv heads (MHA, GQA, MQA), optional rotary positions, and the
 * extras: q/k/v clipping (OLMo), norms over the q and k projections (OLMo 2), the score scale and
 * soft-cap (Gemma 2), and a sliding window on the layers the config slides.
 */
function attention(m: ForwardContext, x: Tensor, prefix: string, layer: number): Tensor {
  const { b, c, B, T } = m;
  let [qAll, kAll, vAll] = ['q', 'k', 'v'].map((p) => clip(m, project(m, x, `${prefix}.${p}`))) as [Tensor, Tensor, Tensor]; // (B, T, H·D), (B, T, K·D) x2
  if (c.qkNorm) {
    qAll = norm(m, qAll, `${prefix}.q_norm`); // (B, T, H·D)
    kAll = norm(m, kAll, `${prefix}.k_norm`); // (B, T, K·D)
  }
  let q = splitHeads(m, qAll, c.nHead); // (B, H, T, D)
  let k = splitHeads(m, kAll, c.nKvHead); // (B, K, T, D)
  let v = splitHeads(m, vAll, c.nKvHead); // (B, K, T, D)
  if (m.rope) {
    q = applyRope(b, q, m.rope); // (B, H, T, D)
    k = applyRope(b, k, m.rope); // (B, K, T, D)
  }
  k = repeatKvHeads(b, k, c.nHead / c.nKvHead); // (B, H, T, D): q-head h reads kv-head floor(h / group)
  v = repeatKvHeads(b, v, c.nHead / c.nKvHead); // (B, H, T, D)
  const window = slidingWindowOf(c, layer);
  const y = m.f.attention(q, k, v, {
    scale: attnScaleOf(c),
    causal: true,
    dropout: m.dropoutRate,
    dropoutSeed: m.dropoutSeed(blockSite(layer, 0)),
    ...(window !== null && window < T ? { window } : {}), // a window as wide as the sequence hides nothing
    ...(c.attnSoftcap !== undefined ? { softcap: c.attnSoftcap } : {}),
  }); // (B, H, T, D)
  const merged = b.reshape(b.transpose(y, [0, 2, 1, 3]), [B, T, c.nHead * c.headDim]); // (B, T, H·D)
  return dropout(m, project(m, merged, `${prefix}.o`), blockSite(layer, 1)); // (B, T, C)
}

/** x clamped to [-qkvClip, qkvClip] as x - relu(x - clip) + relu(-x - clip): exact inside, the bound outside (same shape). */
function clip(m: ForwardContext, x: Tensor): Tensor {
  const limit = m.c.qkvClip;
  if (limit === undefined) return x;
  const { b } = m;
  const bound = b.scalar(limit);
  return b.add(b.sub(x, b.relu(b.sub(x, bound))), b.relu(b.sub(b.neg(x), bound)));
}

function mlp(m: ForwardContext, x: Tensor, prefix: string, layer: number): Tensor {
  const hidden =
    m.c.mlp === 'swiglu'
      ? m.b.mul(activation(m, project(m, x, `${prefix}.gate`)), project(m, x, `${prefix}.up`)) // (B, T, F)
      : activation(m, project(m, x, `${prefix}.up`)); // (B, T, F)
  return dropout(m, project(m, hidden, `${prefix}.down`), blockSite(layer, 2)); // (B, T, C)
}

/** The config's elementwise activation (same shape as x). */
function activation(m: ForwardContext, x: Tensor): Tensor {
  switch (activationOf(m.c)) {
    case 'gelu-tanh':
      return m.f.gelu(x);
    case 'gelu-exact':
      return m.f.geluExact(x);
    case 'relu':
      return m.b.relu(x);
    case 'silu':
      return m.f.silu(x);
  }
}

/**
 * Final norm (unless the model has none), then proj_out back to the embedding's width (OPT-350M): what the
 * head reads (B, T, E).
 */
function headInput(m: ForwardContext, x: Tensor): Tensor {
  const h = m.c.finalNorm === false ? x : norm(m, x, 'norm_f'); // (B, T, C)
  return hasEmbedProjection(m.c) ? project(m, h, 'proj_out') : h; // (B, T, E)
}

/**
 * The logits of the head's input through the same linear as every projection (tied: the token embedding is
 * the weight), the logit scale and Gemma 2's soft-cap.
 */
function head(m: ForwardContext, features: Tensor): Tensor {
  const { b, c } = m;
  let logits = m.f.linear(features, m.param(headWeightName(c)), m.maybe('lm_head.bias')); // (B, T, V)
  if (c.logitScale !== 1) logits = b.mul(logits, b.scalar(c.logitScale)); // (B, T, V)
  return c.logitSoftcap === undefined ? logits : softcap(b, logits, c.logitSoftcap); // (B, T, V)
}

/** cap·tanh(x / cap) (same shape as x). */
function softcap(b: Backend, x: Tensor, cap: number): Tensor {
  return b.mul(b.tanh(b.div(x, b.scalar(cap))), b.scalar(cap));
}

/** The linear layer named `prefix`: y = x·Wᵀ (+ bias when the model has one) over the last axis. */
function project(m: ForwardContext, x: Tensor, prefix: string): Tensor {
  return m.f.linear(x, m.param(`${prefix}.weight`), m.maybe(`${prefix}.bias`)); // (..., out)
}

/** The config's norm over the last axis: gain (1 + weight for Gemma; ones when parameter-free) and LayerNorm's bias. */
function norm(m: ForwardContext, x: Tensor, prefix: string): Tensor {
  const { b, c, f } = m;
  let gain = c.normAffine === false ? m.ones(b.shape(x).at(-1)!) : m.param(`${prefix}.weight`); // (n)
  if (c.normGainPlusOne) gain = b.add(gain, b.scalar(1)); // (n)
  return c.norm === 'layernorm'
    ? f.layerNorm(x, gain, m.maybe(`${prefix}.bias`), c.normEps) // same shape as x
    : f.rmsNorm(x, gain, c.normEps); // same shape as x
}

/** (B, T, heads·D) -> (B, heads, T, D), head-major: head h holds features [h·D, (h+1)·D). */
function splitHeads(m: ForwardContext, x: Tensor, heads: number): Tensor {
  const { b, B, T } = m;
  return b.transpose(b.reshape(x, [B, T, heads, m.c.headDim]), [0, 2, 1, 3]); // (B, heads, T, D)
}

interface RopeTables {
  cos: Tensor; // (T, R)
  sin: Tensor; // (T, R)
  /** R: the rotated dimensions of each head (headDim unless partial, GPT-NeoX's rotary_pct). */
  dims: number;
  half: number;
}

/**
 * Rotary tables in the half-split layout (Llama / GPT-NeoX) over R rotated dims: angle(t, i) = t·f_i for
 * i < R/2, repeated twice, f_i = θ^(-2i/R) or as the config's rope scaling gives it (rope-scaling.ts), and
 * cos and sin times the scaling's attention factor (yarn, longrope).
 */
function ropeTables(b: Backend, c: ModelConfig, T: number): RopeTables {
  const D = ropeDimsOf(c);
  const half = D / 2;
  const { inverseFrequencies, attentionFactor } = ropeFrequencies(D, c.ropeTheta, c.ropeScaling, T);
  const cos = new Float32Array(T * D); // (T, D)
  const sin = new Float32Array(T * D); // (T, D)
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * inverseFrequencies[i]!;
      cos[t * D + i] = cos[t * D + i + half] = Math.cos(angle) * attentionFactor;
      sin[t * D + i] = sin[t * D + i + half] = Math.sin(angle) * attentionFactor;
    }
  }
  return { cos: b.fromHost(hostTensor([T, D], cos)), sin: b.fromHost(hostTensor([T, D], sin)), dims: D, half };
}

/**
 * x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1] for x = [x1, x2] split in halves. With
 * partial rotary (R < D) only the first R dimensions of each head rotate; the rest pass unchanged.
 */
function applyRope(b: Backend, x: Tensor, r: RopeTables): Tensor {
  const [B, H, T, D] = b.shape(x) as [number, number, number, number];
  const rot = r.dims === D ? x : b.slice(x, [0, 0, 0, 0], [B, H, T, r.dims]); // (B, H, T, R)
  const x1 = b.slice(rot, [0, 0, 0, 0], [B, H, T, r.half]); // (B, H, T, R/2)
  const x2 = b.slice(rot, [0, 0, 0, r.half], [B, H, T, r.half]); // (B, H, T, R/2)
  const rotated = b.concat([b.neg(x2), x1], 3); // (B, H, T, R)
  const y = b.add(b.mul(rot, r.cos), b.mul(rotated, r.sin)); // (B, H, T, R)
  if (r.dims === D) return y;
  return b.concat([y, b.slice(x, [0, 0, 0, r.dims], [B, H, T, D - r.dims])], 3); // (B, H, T, D)
}

/** (B, K, T, D) -> (B, K·group, T, D), each kv head repeated `group` times in place (Llama's repeat_kv). */
function repeatKvHeads(b: Backend, x: Tensor, group: number): Tensor {
  if (group === 1) return x;
  const [B, K, T, D] = b.shape(x) as [number, number, number, number];
  const x5 = b.reshape(x, [B, K, 1, T, D]); // (B, K, 1, T, D)
  const copies = b.concat(
    Array.from({ length: group }, () => x5),
    2,
  ); // (B, K, group, T, D)
  return b.reshape(copies, [B, K * group, T, D]); // (B, K·group, T, D)
}

// The GPT forward pass for the whole family, written once on the Backend ops, top to bottom, and the
// training loss through the fused classifier (the head and cross-entropy in one op, so the logits need
// never exist whole). Not training (the trainer owns optimizer and loop) and not weights (initializers make those).
//
// Dimension letters: B batch, T time, C dModel, H query heads, K kv heads, D headDim, F dFF, V vocab.

import type { Backend, FusedOps, Tensor } from './backend.js';
import type { ModelConfig } from './config.js';
import { activationOf, positionOffsetOf, ropeDimsOf } from './config.js';
import { fusedOps } from './fused-reference.js';
import { hostTensor } from './host-tensor.js';
import { IGNORE_INDEX } from './loss.js';
import { headWeightName } from './param-spec.js';

/** Parameters by canonical name (see param-spec.ts). */
export type Params = Readonly<Record<string, Tensor>>;

export interface ForwardOptions {
  /** Training mode: dropout is on when config.dropout > 0. */
  train?: boolean;
  /** Seed for this forward's dropout masks (each dropout site derives its own, see dropoutSeeds). */
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

/** Token embedding (+ learned positions), nLayer pre-norm blocks, final norm, LM head. */
export function forward(b: Backend, c: ModelConfig, p: Params, tokens: Tensor, options: ForwardOptions = {}): ForwardResult {
  const { m, features, hidden } = trunk(b, c, p, tokens, options);
  return { logits: head(m, features), hidden }; // logits (B, T, V)
}

/**
 * Mean next-token cross-entropy (nats) of tokens (B, T) against int32 targets (B, T), skipping targets equal
 * to ignoreIndex: the trunk, then the head and the loss as one fused classifier. Equal to
 * crossEntropyLoss(forward(...).logits, targets); an engine that fuses it never holds the (B, T, V) logits.
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
  const flat = b.reshape(features, [-1, c.dModel]); // (B·T, C)
  const bias = m.maybe('lm_head.bias'); // (V) or none
  return m.f.linearCrossEntropy(flat, m.param(headWeightName(c)), bias, b.reshape(targets, [-1]), {
    ignoreIndex,
    logitScale: c.logitScale,
  }); // ()
}

/** Embedding, the blocks and the final norm: the features the head reads (B, T, C). */
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
    x = block(m, x, `blocks.${i}`); // (B, T, C)
    if (options.collectHidden) hidden.push(x);
  }
  return { m, features: norm(m, x, 'norm_f'), hidden }; // features (B, T, C)
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
  nextDropoutSeed: () => number;
  rope: RopeTables | null;
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
    nextDropoutSeed: dropoutSeeds(options.dropoutSeed ?? 0),
    rope: c.position === 'rope' ? ropeTables(b, T, ropeDimsOf(c), c.ropeTheta) : null,
  };
}

/**
 * Seeds for one forward's dropout sites, in the order the forward reaches them: site s of the
 * forward seeded S gets S·1009 + s. 1009 is a prime above the number of sites of any model here
 * (1 + 3·nLayer), so no two (forward, site) pairs share a seed while nLayer < 336.
 */
function dropoutSeeds(forwardSeed: number): () => number {
  let site = 0;
  return () => forwardSeed * 1009 + site++;
}

function dropout(m: ForwardContext, x: Tensor): Tensor {
  return m.dropoutRate > 0 ? m.b.dropout(x, m.dropoutRate, m.nextDropoutSeed()) : x; // same shape as x
}

function embed(m: ForwardContext, tokens: Tensor): Tensor {
  const { b, c, T } = m;
  let x = b.gather(m.param('tok_emb.weight'), tokens); // (B, T, C)
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
  return dropout(m, x); // (B, T, C)
}

/** Pre-norm residual: x + attention(norm1(x)), then + mlp(norm2(x)); parallel (GPT-NeoX): x + attention(norm1(x)) + mlp(norm2(x)). */
function block(m: ForwardContext, x: Tensor, prefix: string): Tensor {
  const { b } = m;
  const a = attention(m, norm(m, x, `${prefix}.norm1`), `${prefix}.attn`); // (B, T, C)
  if (m.c.parallelResidual) return b.add(b.add(x, a), mlp(m, norm(m, x, `${prefix}.norm2`), `${prefix}.mlp`)); // (B, T, C)
  const h = b.add(x, a); // (B, T, C)
  return b.add(h, mlp(m, norm(m, h, `${prefix}.norm2`), `${prefix}.mlp`)); // (B, T, C)
}

/** Causal multi-head attention with grouped kv heads (MHA, GQA, MQA) and optional rotary positions. */
function attention(m: ForwardContext, x: Tensor, prefix: string): Tensor {
  const { b, c, B, T } = m;
  let q = splitHeads(m, project(m, x, `${prefix}.q`), c.nHead); // (B, H, T, D)
  let k = splitHeads(m, project(m, x, `${prefix}.k`), c.nKvHead); // (B, K, T, D)
  let v = splitHeads(m, project(m, x, `${prefix}.v`), c.nKvHead); // (B, K, T, D)
  if (m.rope) {
    q = applyRope(b, q, m.rope); // (B, H, T, D)
    k = applyRope(b, k, m.rope); // (B, K, T, D)
  }
  k = repeatKvHeads(b, k, c.nHead / c.nKvHead); // (B, H, T, D): q-head h reads kv-head floor(h / group)
  v = repeatKvHeads(b, v, c.nHead / c.nKvHead); // (B, H, T, D)
  const y = m.f.attention(q, k, v, {
    scale: 1 / Math.sqrt(c.headDim),
    causal: true,
    dropout: m.dropoutRate,
    dropoutSeed: m.nextDropoutSeed(),
  }); // (B, H, T, D)
  const merged = b.reshape(b.transpose(y, [0, 2, 1, 3]), [B, T, c.nHead * c.headDim]); // (B, T, H·D)
  return dropout(m, project(m, merged, `${prefix}.o`)); // (B, T, C)
}

function mlp(m: ForwardContext, x: Tensor, prefix: string): Tensor {
  const hidden =
    m.c.mlp === 'swiglu'
      ? m.b.mul(activation(m, project(m, x, `${prefix}.gate`)), project(m, x, `${prefix}.up`)) // (B, T, F)
      : activation(m, project(m, x, `${prefix}.up`)); // (B, T, F)
  return dropout(m, project(m, hidden, `${prefix}.down`)); // (B, T, C)
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

/** The logits of the final norm's features through the same linear as every projection (tied: the token embedding is the weight). */
function head(m: ForwardContext, features: Tensor): Tensor {
  const { b, c } = m;
  const logits = m.f.linear(features, m.param(headWeightName(c)), m.maybe('lm_head.bias')); // (B, T, V)
  return c.logitScale === 1 ? logits : b.mul(logits, b.scalar(c.logitScale)); // (B, T, V)
}

/** The linear layer named `prefix`: y = x·Wᵀ (+ bias when the model has one) over the last axis. */
function project(m: ForwardContext, x: Tensor, prefix: string): Tensor {
  return m.f.linear(x, m.param(`${prefix}.weight`), m.maybe(`${prefix}.bias`)); // (..., out)
}

function norm(m: ForwardContext, x: Tensor, prefix: string): Tensor {
  const { c, f } = m;
  return c.norm === 'layernorm'
    ? f.layerNorm(x, m.param(`${prefix}.weight`), m.maybe(`${prefix}.bias`), c.normEps) // same shape as x
    : f.rmsNorm(x, m.param(`${prefix}.weight`), c.normEps); // same shape as x
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

/** Rotary tables in the half-split layout (Llama / GPT-NeoX) over R = D rotated dims: angle(t, i) = t·θ^(-2i/D), i < D/2, repeated twice. */
function ropeTables(b: Backend, T: number, D: number, theta: number): RopeTables {
  const half = D / 2;
  const cos = new Float32Array(T * D); // (T, D)
  const sin = new Float32Array(T * D); // (T, D)
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * theta ** (-(2 * i) / D);
      cos[t * D + i] = cos[t * D + i + half] = Math.cos(angle);
      sin[t * D + i] = sin[t * D + i + half] = Math.sin(angle);
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

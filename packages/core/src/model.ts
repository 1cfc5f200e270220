// The GPT forward pass for the whole family, written once on the Backend ops, top to bottom.
// Not training (the trainer owns optimizer and loop) and not weights (initializers make those).
//
// Dimension letters: B batch, T time, C dModel, H query heads, K kv heads, D headDim, F dFF, V vocab.

import type { Backend, Tensor } from './backend.js';
import type { ModelConfig } from './config.js';
import { fusedOps } from './fused-reference.js';
import { hostTensor } from './host-tensor.js';

/** Parameters by canonical name (see param-spec.ts). */
export type Params = Readonly<Record<string, Tensor>>;

export interface ForwardOptions {
  /** Training mode: dropout is on when config.dropout > 0. */
  train?: boolean;
  /** Seed for this forward's dropout masks (each dropout site derives its own). */
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

export function forward(b: Backend, c: ModelConfig, p: Params, tokens: Tensor, options: ForwardOptions = {}): ForwardResult {
  const f = fusedOps(b);
  const [B, T] = b.shape(tokens) as [number, number];
  if (T > c.contextLength) throw new Error(`sequence length ${T} exceeds the model's context length ${c.contextLength}`);
  const dropoutRate = options.train ? c.dropout : 0;
  let site = 0;
  const dropout = (x: Tensor): Tensor => (dropoutRate > 0 ? b.dropout(x, dropoutRate, (options.dropoutSeed ?? 0) * 1009 + site++) : x);

  const param = (name: string): Tensor => {
    const t = p[name];
    if (!t) throw new Error(`missing parameter "${name}"`);
    return t;
  };
  const maybe = (name: string): Tensor | null => p[name] ?? null;

  const linear = (x: Tensor, prefix: string): Tensor => {
    const shape = b.shape(x);
    const w = param(`${prefix}.weight`); // (out, in)
    const out = b.shape(w)[0]!;
    let y = b.matmul(b.reshape(x, [-1, shape.at(-1)!]), w, false, true); // (B·T, out)
    const bias = maybe(`${prefix}.bias`);
    if (bias) y = b.add(y, bias);
    return b.reshape(y, [...shape.slice(0, -1), out]);
  };

  const norm = (x: Tensor, prefix: string): Tensor =>
    c.norm === 'layernorm'
      ? f.layerNorm(x, param(`${prefix}.weight`), maybe(`${prefix}.bias`), c.normEps)
      : f.rmsNorm(x, param(`${prefix}.weight`), c.normEps);

  const rope = c.position === 'rope' ? ropeTables(b, T, c.headDim, c.ropeTheta) : null;

  const splitHeads = (x: Tensor, heads: number): Tensor => b.transpose(b.reshape(x, [B, T, heads, c.headDim]), [0, 2, 1, 3]); // (B, heads, T, D)

  const attention = (x: Tensor, prefix: string): Tensor => {
    let q = splitHeads(linear(x, `${prefix}.q`), c.nHead); // (B, H, T, D)
    let k = splitHeads(linear(x, `${prefix}.k`), c.nKvHead); // (B, K, T, D)
    let v = splitHeads(linear(x, `${prefix}.v`), c.nKvHead); // (B, K, T, D)
    if (rope) {
      q = applyRope(b, q, rope);
      k = applyRope(b, k, rope);
    }
    k = repeatKvHeads(b, k, c.nHead / c.nKvHead); // (B, H, T, D): q-head h reads kv-head floor(h / group)
    v = repeatKvHeads(b, v, c.nHead / c.nKvHead);
    const y = f.attention(q, k, v, {
      scale: 1 / Math.sqrt(c.headDim),
      causal: true,
      dropout: dropoutRate,
      dropoutSeed: (options.dropoutSeed ?? 0) * 1009 + site++,
    }); // (B, H, T, D)
    const merged = b.reshape(b.transpose(y, [0, 2, 1, 3]), [B, T, c.nHead * c.headDim]);
    return dropout(linear(merged, `${prefix}.o`)); // (B, T, C)
  };

  const mlp = (x: Tensor, prefix: string): Tensor => {
    const hidden =
      c.mlp === 'swiglu'
        ? b.mul(f.silu(linear(x, `${prefix}.gate`)), linear(x, `${prefix}.up`)) // (B, T, F)
        : f.gelu(linear(x, `${prefix}.up`)); // (B, T, F)
    return dropout(linear(hidden, `${prefix}.down`)); // (B, T, C)
  };

  // embeddings
  let x = b.gather(param('tok_emb.weight'), tokens); // (B, T, C)
  if (c.position === 'learned') {
    const positions = b.fromHost(
      hostTensor(
        [T],
        Int32Array.from({ length: T }, (_, t) => t),
      ),
    );
    x = b.add(x, b.gather(param('pos_emb.weight'), positions)); // (B, T, C) + (T, C)
  }
  x = dropout(x);

  // blocks: pre-norm residual
  const hidden: Tensor[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    x = b.add(x, attention(norm(x, `blocks.${i}.norm1`), `blocks.${i}.attn`));
    x = b.add(x, mlp(norm(x, `blocks.${i}.norm2`), `blocks.${i}.mlp`));
    if (options.collectHidden) hidden.push(x);
  }

  // head
  x = norm(x, 'norm_f');
  const head = c.tieEmbeddings ? param('tok_emb.weight') : param('lm_head.weight'); // (V, C)
  let logits = linearNoBias(b, x, head); // (B, T, V)
  if (c.logitScale !== 1) logits = b.mul(logits, b.scalar(c.logitScale));
  return { logits, hidden };
}

function linearNoBias(b: Backend, x: Tensor, w: Tensor): Tensor {
  const shape = b.shape(x);
  const y = b.matmul(b.reshape(x, [-1, shape.at(-1)!]), w, false, true);
  return b.reshape(y, [...shape.slice(0, -1), b.shape(w)[0]!]);
}

interface RopeTables {
  cos: Tensor; // (T, D)
  sin: Tensor; // (T, D)
  half: number;
}

/** Rotary tables in the half-split layout (Llama / GPT-NeoX): angle(t, i) = t·θ^(-2i/D), i < D/2, repeated twice. */
export function ropeTables(b: Backend, T: number, D: number, theta: number): RopeTables {
  const half = D / 2;
  const cos = new Float32Array(T * D);
  const sin = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * theta ** (-(2 * i) / D);
      cos[t * D + i] = cos[t * D + i + half] = Math.cos(angle);
      sin[t * D + i] = sin[t * D + i + half] = Math.sin(angle);
    }
  }
  return { cos: b.fromHost(hostTensor([T, D], cos)), sin: b.fromHost(hostTensor([T, D], sin)), half };
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1] for x = [x1, x2] split in halves. */
function applyRope(b: Backend, x: Tensor, r: RopeTables): Tensor {
  const [B, H, T] = b.shape(x) as [number, number, number, number];
  const x1 = b.slice(x, [0, 0, 0, 0], [B, H, T, r.half]);
  const x2 = b.slice(x, [0, 0, 0, r.half], [B, H, T, r.half]);
  const rotated = b.concat([b.neg(x2), x1], 3);
  return b.add(b.mul(x, r.cos), b.mul(rotated, r.sin));
}

/** (B, K, T, D) -> (B, K·group, T, D), each kv head repeated `group` times in place (Llama's repeat_kv). */
function repeatKvHeads(b: Backend, x: Tensor, group: number): Tensor {
  if (group === 1) return x;
  const [B, K, T, D] = b.shape(x) as [number, number, number, number];
  const x5 = b.reshape(x, [B, K, 1, T, D]);
  return b.reshape(
    b.concat(
      Array.from({ length: group }, () => x5),
      2,
    ),
    [B, K * group, T, D],
  );
}

// The model config for the whole GPT family (GPT-2/OPT/Pythia-like and Llama/OLMo-like) and its presets.
// Not the parameter list (param-spec.ts) and not the training options (the trainer owns those).

import { nearestName } from './nearest-name.js';
import { ropeScalingProblems, type RopeScaling } from './rope-scaling.js';

export type NormKind = 'layernorm' | 'rmsnorm';
export type PositionKind = 'learned' | 'rope';
export type MlpKind = 'gelu' | 'swiglu';
/** The MLP's elementwise function: tanh GELU (GPT-2's gelu_new), exact (erf) GELU, ReLU, SiLU. */
export type Activation = 'gelu-tanh' | 'gelu-exact' | 'relu' | 'silu';
export const ACTIVATIONS: readonly Activation[] = ['gelu-tanh', 'gelu-exact', 'relu', 'silu'];
/**
 * Where a block's norms sit around each of its two branches f (attention, MLP):
 * pre x + f(n(x)) (GPT-2, Llama); post n(x + f(x)) (OPT-350M); sandwich x + n'(f(n(x))) (Gemma 2);
 * after x + n'(f(x)) (OLMo 2).
 */
export type NormPlacement = 'pre' | 'post' | 'sandwich' | 'after';
export const NORM_PLACEMENTS: readonly NormPlacement[] = ['pre', 'post', 'sandwich', 'after'];
/** A layer's attention: every earlier key, or only the last `slidingWindow` (its own included). */
export type LayerType = 'full' | 'sliding';
export type { RopeScaling };

export interface ModelConfig {
  vocabSize: number;
  contextLength: number;
  nLayer: number;
  dModel: number;
  nHead: number;
  /** Key/value heads: nHead for multi-head, 1 for multi-query, a divisor of nHead for grouped-query. */
  nKvHead: number;
  headDim: number;
  dFF: number;
  norm: NormKind;
  normEps: number;
  position: PositionKind;
  ropeTheta: number;
  /** 'gelu': up -> activation -> down; 'swiglu': activation(gate)·up -> down. */
  mlp: MlpKind;
  /** Every linear layer's bias and the LayerNorm biases; qkvBias, oBias and mlpBias override it per group. */
  bias: boolean;
  tieEmbeddings: boolean;
  /**
   * The LM head adds a bias over the vocabulary (absent: false). Presets have none; a rotated
   * LayerNorm model gets one to hold its final norm's folded bias (init's rotateWeights).
   */
  headBias?: boolean;
  /** Multiplies the logits; a tied clone keeps its embedding and scales this by 1/width. */
  logitScale: number;
  dropout: number;
  // The Hugging Face families' extras. Each is optional, and absent means what configs meant before
  // it existed (see the accessors below), so older checkpoints read the same.
  /** The MLP's activation; default gelu-tanh for mlp 'gelu', silu for 'swiglu'. */
  activation?: Activation;
  /** GPT-NeoX's parallel block: x + attn(norm1(x)) + mlp(norm2(x)); default false (sequential). */
  parallelResidual?: boolean;
  /** Rotary dimensions: the first ropeDims of each head rotate, the rest pass (GPT-NeoX's rotary_pct); default headDim. */
  ropeDims?: number;
  /** Learned positions read rows offset..offset+T-1 of pos_emb, which has contextLength + offset rows (OPT: 2); default 0. */
  positionOffset?: number;
  /** Bias of attention's q, k, v; default `bias`. */
  qkvBias?: boolean;
  /** Bias of attention's output projection; default `bias`. */
  oBias?: boolean;
  /** Bias of the MLP's up, gate and down; default `bias`. */
  mlpBias?: boolean;
  /** Where each block's norms sit (see NormPlacement); default 'pre'. */
  normPlacement?: NormPlacement;
  /** A norm before the head (norm_f); default true. OPT-350M's post-norm stack has none. */
  finalNorm?: boolean;
  /** Norms have a gain (and, LayerNorm with `bias`, a bias); default true. false: parameter-free (OLMo). */
  normAffine?: boolean;
  /** A norm's gain is 1 + weight, so a zero weight is the identity (Gemma); default false. */
  normGainPlusOne?: boolean;
  /** A parallel block's attention and MLP both read norm1 (Phi); default false (GPT-NeoX: two norms). */
  parallelSharedNorm?: boolean;
  /**
   * Width of the token embedding and of the head's input (OPT-350M's word_embed_proj_dim), projected into the
   * stream by proj_in [dModel, embedDim] and out of it by proj_out [embedDim, dModel]; default: no projections,
   * the embedding is dModel wide.
   */
  embedDim?: number;
  /** Token embeddings times sqrt(dModel) (Gemma's normalizer); default false. */
  scaleEmbedding?: boolean;
  /** Multiplies the attention scores; default 1/sqrt(headDim). Gemma 2: query_pre_attn_scalar^-0.5. */
  attnScale?: number;
  /** Attention scores become cap·tanh(score/cap) before the mask (Gemma 2); default none. */
  attnSoftcap?: number;
  /** Logits become cap·tanh(logit/cap), after logitScale (Gemma 2); default none. */
  logitSoftcap?: number;
  /** q, k and v clamped to [-clip, clip] after their projections (OLMo's clip_qkv); default none. */
  qkvClip?: number;
  /** A norm over the whole q projection and one over the whole k projection, after clipping (OLMo 2); default false. */
  qkNorm?: boolean;
  /** Keys a sliding layer's query sees: the last slidingWindow positions, its own included; default none. */
  slidingWindow?: number;
  /** Each layer's attention (nLayer entries); default every layer 'sliding' when slidingWindow is set. */
  layerTypes?: LayerType[];
  /** Rotary scaling (rope only); default none. */
  ropeScaling?: RopeScaling;
}

/** The activation the MLP applies. */
export function activationOf(c: ModelConfig): Activation {
  return c.activation ?? (c.mlp === 'swiglu' ? 'silu' : 'gelu-tanh');
}

/** How many dimensions of each head rotate (rope only). */
export function ropeDimsOf(c: ModelConfig): number {
  return c.ropeDims ?? c.headDim;
}

/** The first pos_emb row the forward reads (learned positions only). */
export function positionOffsetOf(c: ModelConfig): number {
  return c.positionOffset ?? 0;
}

/** Where the block's norms sit. */
export function normPlacementOf(c: ModelConfig): NormPlacement {
  return c.normPlacement ?? 'pre';
}

/** The token embedding's width: dModel unless the model projects it in and out (OPT-350M). */
export function embedDimOf(c: ModelConfig): number {
  return c.embedDim ?? c.dModel;
}

/** Whether proj_in and proj_out sit around the stack (embedDim given, even equal to dModel: a clone's can grow into it). */
export function hasEmbedProjection(c: ModelConfig): boolean {
  return c.embedDim !== undefined;
}

/** The attention scores' multiplier. */
export function attnScaleOf(c: ModelConfig): number {
  return c.attnScale ?? 1 / Math.sqrt(c.headDim);
}

/** The window of layer `layer`'s attention in positions, or null for full causal attention. */
export function slidingWindowOf(c: ModelConfig, layer: number): number | null {
  if (c.slidingWindow === undefined) return null;
  return (c.layerTypes?.[layer] ?? 'sliding') === 'sliding' ? c.slidingWindow : null;
}

export type BiasGroup = 'qkv' | 'o' | 'mlp';

/** Whether the linear layers of a group have biases. */
export function hasBias(c: ModelConfig, group: BiasGroup): boolean {
  const own = group === 'qkv' ? c.qkvBias : group === 'o' ? c.oBias : c.mlpBias;
  return own ?? c.bias;
}

const gptStyle = {
  norm: 'layernorm',
  normEps: 1e-5,
  position: 'learned',
  ropeTheta: 10000,
  mlp: 'gelu',
  bias: true,
  tieEmbeddings: true,
  logitScale: 1,
  dropout: 0,
} as const;

const llamaStyle = {
  norm: 'rmsnorm',
  normEps: 1e-5,
  position: 'rope',
  ropeTheta: 10000,
  mlp: 'swiglu',
  bias: false,
  tieEmbeddings: false,
  logitScale: 1,
  dropout: 0,
} as const;

/** Byte tokenizer vocabulary: 256 bytes plus end-of-text. Presets are resized to the data's vocabulary. */
const BYTE_VOCAB = 257;

function gpt(dModel: number, nLayer: number, nHead: number, contextLength: number, vocabSize = BYTE_VOCAB): ModelConfig {
  return { ...gptStyle, vocabSize, contextLength, nLayer, dModel, nHead, nKvHead: nHead, headDim: dModel / nHead, dFF: 4 * dModel };
}

function llama(
  dModel: number,
  nLayer: number,
  nHead: number,
  nKvHead: number,
  dFF: number,
  contextLength: number,
  vocabSize = BYTE_VOCAB,
): ModelConfig {
  return { ...llamaStyle, vocabSize, contextLength, nLayer, dModel, nHead, nKvHead, headDim: dModel / nHead, dFF };
}

/**
 * Presets. Each `*-N` CPU preset has a 2x-wider sibling `*-2N` with the same depth and head_dim,
 * which is exactly the shape `hyperclone --width 2` produces.
 */
export const PRESETS: Readonly<Record<string, ModelConfig>> = {
  tiny: gpt(64, 2, 4, 128),
  'tiny-llama': llama(64, 2, 4, 2, 192, 128),
  'cpu-128': gpt(128, 4, 4, 256),
  'cpu-256': gpt(256, 4, 8, 256),
  'cpu-512': gpt(512, 4, 16, 256),
  'llama-cpu-128': llama(128, 4, 4, 2, 384, 256),
  'llama-cpu-256': llama(256, 4, 8, 4, 768, 256),
  'gpt2-124m': gpt(768, 12, 12, 1024, 50257),
  'gpt2-350m': { ...gpt(1024, 24, 16, 1024, 50257) },
  'llama-160m': llama(768, 12, 12, 4, 2048, 1024, 32000),
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function getPreset(name: string): ModelConfig {
  const preset = PRESETS[name];
  if (!preset) {
    throw new Error(`unknown model preset "${name}"; choose one of: ${presetNames().join(', ')}`);
  }
  return { ...preset };
}

/** Reads a config from a preset name or an object, fills defaults, and validates it. */
export function resolveConfig(configOrPreset: string | Partial<ModelConfig>): ModelConfig {
  const config = typeof configOrPreset === 'string' ? getPreset(configOrPreset) : withDefaults(configOrPreset);
  validateConfig(config);
  return config;
}

function withDefaults(partial: Partial<ModelConfig>): ModelConfig {
  const base = partial.norm === 'rmsnorm' || partial.position === 'rope' || partial.mlp === 'swiglu' ? llamaStyle : gptStyle;
  const dModel = partial.dModel ?? 0;
  const nHead = partial.nHead ?? 0;
  return {
    ...base,
    vocabSize: BYTE_VOCAB,
    contextLength: 256,
    nLayer: 0,
    dModel,
    nHead,
    nKvHead: nHead,
    headDim: nHead > 0 ? dModel / nHead : 0,
    dFF: 4 * dModel,
    ...stripUndefined(partial),
  } as ModelConfig;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const POSITIVE_INTEGERS = ['vocabSize', 'contextLength', 'nLayer', 'dModel', 'nHead', 'nKvHead', 'headDim', 'dFF'] as const;
const NUMBERS = [...POSITIVE_INTEGERS, 'normEps', 'ropeTheta', 'logitScale', 'dropout'] as const;

/** Every field of ModelConfig, in the interface's order (a field added there fails to compile until it is listed here). */
export const MODEL_CONFIG_KEYS = [
  'vocabSize',
  'contextLength',
  'nLayer',
  'dModel',
  'nHead',
  'nKvHead',
  'headDim',
  'dFF',
  'norm',
  'normEps',
  'position',
  'ropeTheta',
  'mlp',
  'bias',
  'tieEmbeddings',
  'headBias',
  'logitScale',
  'dropout',
  'activation',
  'parallelResidual',
  'ropeDims',
  'positionOffset',
  'qkvBias',
  'oBias',
  'mlpBias',
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
  'ropeScaling',
] as const satisfies readonly (keyof ModelConfig)[];
type Unlisted = Exclude<keyof ModelConfig, (typeof MODEL_CONFIG_KEYS)[number]>;
const everyKeyListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyKeyListed;

export function validateConfig(c: ModelConfig): void {
  const problems: string[] = unknownFields(c);
  const strings = NUMBERS.filter((key) => typeof c[key] === 'string');
  for (const key of strings) problems.push(`${key} must be a number, not a string (got ${JSON.stringify(c[key])})`);
  for (const key of POSITIVE_INTEGERS) {
    const v = c[key];
    if (strings.includes(key)) continue;
    if (key === 'headDim' && headDimUndivided(c)) problems.push(headDimUndivided(c)!);
    else if (!Number.isInteger(v) || v < 1) problems.push(`${key} must be a positive integer (got ${String(v)})`);
  }
  if (Number.isInteger(c.nHead) && Number.isInteger(c.nKvHead) && c.nKvHead >= 1 && c.nHead % c.nKvHead !== 0) {
    problems.push(`nHead (${c.nHead}) must be a multiple of nKvHead (${c.nKvHead})`);
  }
  if (c.position === 'rope' && c.headDim % 2 !== 0) problems.push(`rope needs an even headDim (got ${c.headDim})`);
  if (c.norm !== 'layernorm' && c.norm !== 'rmsnorm') problems.push(`norm must be "layernorm" or "rmsnorm" (got ${String(c.norm)})`);
  if (c.position !== 'learned' && c.position !== 'rope') problems.push(`position must be "learned" or "rope" (got ${String(c.position)})`);
  if (c.mlp !== 'gelu' && c.mlp !== 'swiglu') problems.push(`mlp must be "gelu" or "swiglu" (got ${String(c.mlp)})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push(`dropout must be in [0, 1) (got ${c.dropout})`);
  if (!(c.normEps > 0)) problems.push(`normEps must be positive (got ${c.normEps})`);
  if (!(Number.isFinite(c.logitScale) && c.logitScale > 0)) problems.push(`logitScale must be a positive number (got ${c.logitScale})`);
  if (typeof c.bias !== 'boolean' || typeof c.tieEmbeddings !== 'boolean') problems.push('bias and tieEmbeddings must be booleans');
  problems.push(...extraProblems(c));
  if (c.headBias !== undefined && typeof c.headBias !== 'boolean') problems.push(`headBias must be a boolean (got ${String(c.headBias)})`);
  if (problems.length > 0) throw new Error(`invalid model config: ${problems.join('; ')}`);
}

function extraProblems(c: ModelConfig): string[] {
  const problems: string[] = [];
  if (c.activation !== undefined && !ACTIVATIONS.includes(c.activation))
    problems.push(`activation must be one of ${ACTIVATIONS.join(', ')} (got ${String(c.activation)})`);
  for (const key of ['parallelResidual', 'qkvBias', 'oBias', 'mlpBias'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean') problems.push(`${key} must be a boolean (got ${String(c[key])})`);
  }
  if (c.ropeDims !== undefined) {
    const r = c.ropeDims;
    if (c.position !== 'rope') problems.push('ropeDims needs position "rope"');
    else if (!Number.isInteger(r) || r < 2 || r > c.headDim || r % 2 !== 0)
      problems.push(`ropeDims must be an even integer from 2 to headDim ${c.headDim} (got ${String(r)})`);
  }
  if (c.positionOffset !== undefined) {
    if (c.position !== 'learned') problems.push('positionOffset needs position "learned"');
    else if (!Number.isInteger(c.positionOffset) || c.positionOffset < 0)
      problems.push(`positionOffset must be a non-negative integer (got ${String(c.positionOffset)})`);
  }
  return [...problems, ...blockProblems(c), ...attentionProblems(c)];
}

const isPositive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The block's shape: norm placement, norms, the residual, the ends around the stack. */
function blockProblems(c: ModelConfig): string[] {
  const problems: string[] = [];
  if (c.normPlacement !== undefined && !NORM_PLACEMENTS.includes(c.normPlacement))
    problems.push(`normPlacement must be one of ${NORM_PLACEMENTS.join(', ')} (got ${String(c.normPlacement)})`);
  for (const key of ['finalNorm', 'normAffine', 'normGainPlusOne', 'parallelSharedNorm', 'scaleEmbedding', 'qkNorm'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean') problems.push(`${key} must be a boolean (got ${String(c[key])})`);
  }
  if (c.parallelResidual && normPlacementOf(c) !== 'pre')
    problems.push(`parallelResidual needs normPlacement "pre" (got "${normPlacementOf(c)}")`);
  if (c.parallelSharedNorm && !c.parallelResidual) problems.push('parallelSharedNorm needs parallelResidual');
  if (c.normGainPlusOne && c.normAffine === false) problems.push('normGainPlusOne needs normAffine (a parameter-free norm has no gain)');
  if (c.embedDim !== undefined && (!Number.isInteger(c.embedDim) || c.embedDim < 1))
    problems.push(`embedDim must be a positive integer (got ${String(c.embedDim)})`);
  return problems;
}

/** Attention's extras: scale, soft-capping, clipping, sliding windows, rotary scaling. */
function attentionProblems(c: ModelConfig): string[] {
  const problems: string[] = [];
  for (const key of ['attnScale', 'attnSoftcap', 'logitSoftcap', 'qkvClip'] as const) {
    if (c[key] !== undefined && !isPositive(c[key])) problems.push(`${key} must be a positive number (got ${String(c[key])})`);
  }
  if (c.slidingWindow !== undefined && (!Number.isInteger(c.slidingWindow) || c.slidingWindow < 1))
    problems.push(`slidingWindow must be a positive integer (got ${String(c.slidingWindow)})`);
  if (c.layerTypes !== undefined) {
    if (c.slidingWindow === undefined) problems.push('layerTypes needs slidingWindow');
    if (!Array.isArray(c.layerTypes) || c.layerTypes.length !== c.nLayer || c.layerTypes.some((t) => t !== 'full' && t !== 'sliding'))
      problems.push(`layerTypes must list "full" or "sliding" for each of the ${c.nLayer} layers`);
  }
  if (c.ropeScaling !== undefined) {
    if (c.position !== 'rope') problems.push('ropeScaling needs position "rope"');
    else problems.push(...ropeScalingProblems(c.ropeScaling, ropeDimsOf(c)));
  }
  return problems;
}

function unknownFields(c: ModelConfig): string[] {
  const known: readonly string[] = MODEL_CONFIG_KEYS;
  return Object.keys(c)
    .filter((k) => !known.includes(k))
    .map((k) => {
      const near = nearestName(k, known);
      return `unknown field ${JSON.stringify(k)} (${near ? `did you mean ${JSON.stringify(near)}?` : `known: ${known.join(', ')}`})`;
    });
}

/** A headDim left to be dModel / nHead that came out fractional: the real mistake is nHead. */
function headDimUndivided(c: ModelConfig): string | null {
  const { dModel, nHead, headDim } = c;
  if (Number.isInteger(headDim) || !Number.isInteger(dModel) || !Number.isInteger(nHead) || nHead < 1 || headDim !== dModel / nHead)
    return null;
  const divisors = Array.from({ length: Math.min(dModel, 64) }, (_, i) => i + 1).filter((d) => dModel % d === 0);
  return `nHead (${nHead}) must divide dModel (${dModel}): headDim = dModel / nHead = ${headDim}; choose nHead among ${divisors.join(', ')} or give headDim`;
}

/** The config with a different vocabulary size (a preset meets a dataset's tokenizer). */
export function withVocab(c: ModelConfig, vocabSize: number): ModelConfig {
  return { ...c, vocabSize };
}

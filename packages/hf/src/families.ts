// The family registry: which adapter reads a config.json (by architectures / model_type), and the refusals
// for the architectures people ask about that are not supported. Not the adapters themselves (families/).

import type { Family, FamilyName } from './family.js';
import { HfUnsupportedError, supportedLine } from './hf-fields.js';
import { gptNeox } from './families/gpt-neox.js';
import { gemma } from './families/gemma.js';
import { gpt2 } from './families/gpt2.js';
import { llama } from './families/llama.js';
import { olmo } from './families/olmo.js';
import { opt } from './families/opt.js';
import { phi } from './families/phi.js';
import { phi3 } from './families/phi3.js';

/** In the order export tries them for a model that was not imported. */
export const FAMILIES: readonly Family[] = [gpt2, llama, gptNeox, opt, gemma, olmo, phi, phi3];

export function familyNamed(name: string): Family {
  const f = FAMILIES.find((x) => x.name === name);
  if (!f) throw new Error(`unknown Hugging Face family "${name}"; choose one of ${FAMILIES.map((x) => x.name).join(', ')}`);
  return f;
}

/** Why a known architecture is refused: the feature our model does not have. */
const NOT_SUPPORTED: Readonly<Record<string, string>> = {
  mixtral: 'a mixture of experts',
  qwen2_moe: 'a mixture of experts',
  qwen3_moe: 'a mixture of experts',
  olmoe: 'a mixture of experts',
  deepseek_v2: 'a mixture of experts',
  deepseek_v3: 'a mixture of experts',
  qwen3: 'q/k norms (q_norm, k_norm)',
  gemma3: 'sliding windows and q/k norms',
  gpt_neo: 'local (sliding-window) attention layers',
  gptj: 'interleaved rotary dimensions',
  falcon: 'multi-query parallel blocks in its own layout',
  bloom: 'ALiBi positions',
  mpt: 'ALiBi positions',
  bert: 'an encoder, not a causal language model',
  roberta: 'an encoder, not a causal language model',
  t5: 'an encoder-decoder',
};

/** The adapter for a config.json, with the architecture it names; refuses anything else in one line. */
export function familyFor(raw: Readonly<Record<string, unknown>>, where: string): { family: Family; architecture: string } {
  const architectures = raw['architectures'];
  const architecture = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : null;
  const modelType = typeof raw['model_type'] === 'string' ? raw['model_type'] : null;
  if (Array.isArray(architectures) && architectures.length > 1)
    throw new HfUnsupportedError(
      `${where}: "architectures" names ${architectures.length} models; give a config.json for one; ${supportedLine()}`,
    );
  for (const family of FAMILIES) {
    for (const [arch, type] of Object.entries(family.architectures)) {
      if (architecture === arch || (architecture === null && modelType === type)) return { family, architecture: arch };
    }
  }
  const what = [architecture && `architecture "${architecture}"`, modelType && `model_type "${modelType}"`].filter(Boolean).join(', ');
  const why = modelType ? NOT_SUPPORTED[modelType] : undefined;
  if (!what) throw new HfUnsupportedError(`${where}: names no "architectures" or "model_type"; ${supportedLine()}`);
  throw new HfUnsupportedError(`${where}: unsupported ${what}${why ? ` (${why})` : ''}; ${supportedLine()}`);
}

export type { FamilyName };

// Typed reads of a Hugging Face config.json's fields, with the Hugging Face defaults, and one-line refusals.
// Not a family's mapping (families/*.ts say which fields mean what) and not file handling (hf-weights.ts).

/** Every family this package reads and writes, as a refusal names them. */
export const SUPPORTED_ARCHITECTURES = [
  'GPT2LMHeadModel',
  'LlamaForCausalLM',
  'MistralForCausalLM',
  'Qwen2ForCausalLM',
  'GPTNeoXForCausalLM',
  'OPTForCausalLM',
  'GemmaForCausalLM',
  'Gemma2ForCausalLM',
  'OlmoForCausalLM',
  'Olmo2ForCausalLM',
  'PhiForCausalLM',
  'Phi3ForCausalLM',
] as const;

/** A config or checkpoint this package will not turn into a model, said in one line. */
export class HfUnsupportedError extends Error {
  override name = 'HfUnsupportedError';
}

export const supportedLine = (): string => `supported: ${SUPPORTED_ARCHITECTURES.join(', ')}`;

/** A config.json's fields, read with the family's defaults; `where` names the file in every error. */
export class HfFields {
  constructor(
    readonly raw: Readonly<Record<string, unknown>>,
    readonly where: string,
    readonly family: string,
  ) {}

  /** Present and not null. */
  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  /** A refusal naming the field, why, and what is supported. */
  refuse(field: string, why: string): never {
    const value = JSON.stringify(this.raw[field]);
    throw new HfUnsupportedError(
      `${this.where}: ${this.family} field "${field}"${value === undefined ? '' : ` = ${value}`} ${why}; ${supportedLine()} (docs/huggingface.md)`,
    );
  }

  int(name: string, fallback?: number): number {
    const v = this.value(name, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.refuse(name, 'must be a non-negative integer');
    return v;
  }

  /** An integer, or null when the field is absent or null (e.g. GPT-2's n_inner, Llama's head_dim). */
  intOrNull(name: string): number | null {
    return this.has(name) ? this.int(name) : null;
  }

  num(name: string, fallback?: number): number {
    const v = this.value(name, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v)) this.refuse(name, 'must be a number');
    return v;
  }

  bool(name: string, fallback?: boolean): boolean {
    const v = this.value(name, fallback);
    if (typeof v !== 'boolean') this.refuse(name, 'must be true or false');
    return v;
  }

  str(name: string, fallback?: string): string {
    const v = this.value(name, fallback);
    if (typeof v !== 'string') this.refuse(name, 'must be a string');
    return v;
  }

  /** A nested object (rope_parameters), or null when absent. */
  object(name: string): Record<string, unknown> | null {
    const v = this.raw[name];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) this.refuse(name, 'must be an object');
    return v as Record<string, unknown>;
  }

  /** Refuses unless the field (absent: its default) equals the one value the model supports. */
  require(name: string, supported: unknown, fallback: unknown, why: string): void {
    const v = this.raw[name] ?? fallback;
    if (v !== supported) this.refuse(name, why);
  }

  private value(name: string, fallback: unknown): unknown {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.refuse(name, 'is missing');
      return fallback;
    }
    return v;
  }
}

// The plan of a run that grows (--grow-at), known before its first step: each stage's steps, model, tokens,
// training FLOPs and tokens per parameter, and the whole run's. `hyperclone train` prints it before it starts.
// Not the stages themselves (grow-stages.ts) and not what a stage cost once trained (metrics/summary.ts).

import type { RunStage } from './grow-stages.js';

export interface PlannedStage {
  stage: number;
  /** It trains steps fromStep + 1 .. toStep. */
  fromStep: number;
  toStep: number;
  dModel: number;
  nLayer: number;
  params: number;
  tokens: number;
  flops: number;
  /** Its tokens over its model's parameters. */
  tokensPerParam: number;
}

export interface StagePlan {
  stages: PlannedStage[];
  tokens: number;
  flops: number;
  /** Every token of the run over the last stage's parameters (the final model's tokens per parameter). */
  tokensPerParam: number;
  /** What the run's last model alone would cost for the same steps. */
  lastModelFlops: number;
}

/** The plan of `stages` over a run of `steps` optimizer steps of `tokensPerStep` tokens. */
export function stagePlan(stages: readonly RunStage[], steps: number, tokensPerStep: number): StagePlan {
  const planned = stages.map((st, i): PlannedStage => {
    const toStep = stages[i + 1]?.fromStep ?? steps;
    const tokens = (toStep - st.fromStep) * tokensPerStep;
    return {
      stage: i,
      fromStep: st.fromStep,
      toStep,
      dModel: st.model.dModel,
      nLayer: st.model.nLayer,
      params: st.params,
      tokens,
      flops: tokens * st.flopsPerToken,
      tokensPerParam: tokens / st.params,
    };
  });
  const tokens = steps * tokensPerStep;
  const last = stages.at(-1)!;
  return {
    stages: planned,
    tokens,
    flops: planned.reduce((s, p) => s + p.flops, 0),
    tokensPerParam: tokens / last.params,
    lastModelFlops: tokens * last.flopsPerToken,
  };
}

/** The plan as lines of text: a table of the stages and the totals. */
export function stagePlanText(plan: StagePlan): string[] {
  const rows = [
    ['stage', 'steps', 'model', 'params', 'tokens', 'FLOPs', 'tokens/param'],
    ...plan.stages.map((s) => [
      String(s.stage),
      `${s.fromStep + 1}-${s.toStep}`,
      `d${s.dModel} x ${s.nLayer}L`,
      count(s.params),
      count(s.tokens),
      s.flops.toExponential(2),
      perParam(s.tokensPerParam),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return [
    ...rows.map((r) => r.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')),
    `in all: ${count(plan.tokens)} tokens, ${plan.flops.toExponential(2)} FLOPs (${(plan.lastModelFlops / plan.flops).toFixed(2)}x fewer than the last model alone for the same steps), ${perParam(plan.tokensPerParam)} tokens per parameter of the last model`,
  ];
}

function count(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n);
}

function perParam(x: number): string {
  return x >= 10 ? x.toFixed(1) : x.toPrecision(2);
}

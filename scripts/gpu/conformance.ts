// Runs core's conformance suite on the torch backend on one device (cuda on the GPU box), a bf16 autocast smoke
// test, and a recorded training step replayed (and, on cuda, captured as a CUDA graph) against the eager step;
// prints one line per check and writes JSON. Not vitest: the GPU box has only node and this bundle.
//
//   node conformance.mjs [--device cuda] [--out FILE.json]

import { writeFileSync } from 'node:fs';
import {
  conformanceChecks,
  conformanceWeights,
  crossEntropyLoss,
  forward,
  hostTensor,
  languageModelLoss,
  paramSpec,
  TINY_GPT,
  uploadParams,
  disposeParams,
  zeros,
  type Backend,
  type Tensor,
} from '@hyperclone/core';
import { createTorchBackend, type TorchBackend } from '@hyperclone/backend-torch';

interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function runChecks(b: Backend): CheckResult[] {
  const results: CheckResult[] = [];
  for (const check of conformanceChecks()) {
    const started = performance.now();
    try {
      check.run(b);
      results.push({ name: check.name, ok: true, ms: performance.now() - started });
    } catch (e) {
      results.push({ name: check.name, ok: false, ms: performance.now() - started, error: (e as Error).message });
    }
    const r = results.at(-1)!;
    console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}${r.error ? `\n      ${r.error}` : ''}`);
  }
  return results;
}

/** Loss of a tiny GPT in fp32 and under bf16 autocast: bf16 must stay within 5% of fp32. */
function lossOf(b: Backend): number {
  const params = uploadParams(b, TINY_GPT, conformanceWeights(TINY_GPT));
  try {
    return b.tidy(() => {
      const tokens = b.fromHost(hostTensor([2, 6], Int32Array.from([1, 5, 2, 9, 0, 3, 7, 7, 4, 10, 6, 1])));
      const targets = b.fromHost(hostTensor([2, 6], Int32Array.from([5, 2, 9, 0, 3, 8, 7, 4, 10, 6, 1, -1])));
      const names = paramSpec(TINY_GPT).map((s) => s.name);
      const { value } = b.valueAndGrad(
        (xs) => crossEntropyLoss(b, forward(b, TINY_GPT, Object.fromEntries(names.map((n, i) => [n, xs[i]!])), tokens).logits, targets),
        names.map((n) => params[n]!),
      );
      return b.toHost(value).data[0]! as unknown as never;
    }) as unknown as number;
  } finally {
    disposeParams(b, params);
  }
}

/** Losses of 8 AdamW steps on fresh batches: eager every step, or recorded at the first and replayed (graph: captured after 2). */
function stepLosses(b: TorchBackend, mode: 'eager' | 'replay' | 'graph'): { losses: number[]; graph: string } {
  const specs = paramSpec(TINY_GPT);
  const names = specs.map((s) => s.name);
  const params = uploadParams(b, TINY_GPT, conformanceWeights(TINY_GPT));
  const moments = [...specs, ...specs].map((s) => b.keep(b.fromHost(zeros(s.shape))));
  const guard = b.keep(b.fromHost(zeros([1])));
  const batch = (n: number) =>
    [0, 1].map((shift) => Int32Array.from({ length: 12 }, (_, i) => (i * 5 + n * 3 + shift + ((i * n) % 4)) % TINY_GPT.vocabSize));
  const step = (hyper: { lr: number; step: number }) => (inputs: Tensor[]) => {
    const { value, grads } = b.valueAndGrad(
      (xs) => languageModelLoss(b, TINY_GPT, Object.fromEntries(names.map((n, i) => [n, xs[i]!])), inputs[0]!, inputs[1]!),
      names.map((n) => params[n]!),
    );
    const sumSq = b.clipGradNorm(grads, 1, 1);
    b.flagNonFinite(guard, [sumSq, value]);
    const hp = { ...hyper, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
    b.adamwAll(
      names.map((n) => params[n]!),
      grads,
      moments.slice(0, names.length),
      moments.slice(names.length),
      hp,
      guard,
    );
    b.dispose(grads);
    return [value];
  };
  const losses: number[] = [];
  let program = null as ReturnType<TorchBackend['recordStep']>['program'];
  for (let n = 1; n <= 8; n++) {
    const hyper = { lr: 0.01, step: n };
    const data = batch(n);
    let out: Tensor[];
    if (mode === 'eager' || n === 1) {
      const hosts = data.map((d) => hostTensor([2, 6], d));
      if (mode === 'eager') {
        const inputs = hosts.map((h) => b.fromHost(h));
        out = step(hyper)(inputs);
        b.dispose(inputs);
      } else {
        const recorded = b.recordStep(hosts, step(hyper));
        if (!recorded.program) throw new Error(`the step was not recorded: ${recorded.refusal}`);
        program = recorded.program;
        out = recorded.outputs;
        if (mode === 'graph') {
          const refusal = program.captureGraph(hyper, 2);
          if (refusal) throw new Error(`no CUDA graph: ${refusal}`);
        }
      }
    } else {
      out = program!.replay(data, hyper)!;
    }
    losses.push(b.toHost(out[0]!).data[0]!);
    b.dispose(out);
  }
  const graph = program?.graphState() ?? 'none';
  program?.dispose();
  disposeParams(b, params);
  b.dispose([...moments, guard]);
  return { losses, graph };
}

/** The step replayed (and as a CUDA graph on cuda) gives the eager step's losses (to 1e-5: CUDA sums may reorder). */
function stepReplayChecks(b: TorchBackend, device: string): CheckResult[] {
  const results: CheckResult[] = [];
  const eager = stepLosses(b, 'eager').losses;
  for (const mode of device === 'cuda' ? (['replay', 'graph'] as const) : (['replay'] as const)) {
    const started = performance.now();
    const name = `a recorded step ${mode === 'graph' ? 'captured as a CUDA graph' : 'replayed'} gives the eager step's losses over 8 steps`;
    try {
      const { losses, graph } = stepLosses(b, mode);
      const worst = Math.max(...losses.map((l, i) => Math.abs(l - eager[i]!) / Math.abs(eager[i]!)));
      if (!(worst <= 1e-5)) throw new Error(`relative difference ${worst} (eager ${eager.join(', ')}; ${mode} ${losses.join(', ')})`);
      if (mode === 'graph' && graph !== 'captured') throw new Error(`the graph is not captured: ${graph}`);
      results.push({ name, ok: true, ms: performance.now() - started });
    } catch (e) {
      results.push({ name, ok: false, ms: performance.now() - started, error: (e as Error).message });
    }
    const r = results.at(-1)!;
    console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}${r.error ? `\n      ${r.error}` : ''}`);
  }
  return results;
}

async function main(): Promise<void> {
  const device = flag('device', 'cuda') as 'cpu' | 'cuda';
  const out = flag('out', `conformance-${device}.json`);
  const b = await createTorchBackend({ device });
  console.log(`conformance on ${b.engine}, ${b.device.name}`);
  const results = runChecks(b);
  results.push(...stepReplayChecks(b, device));
  const fp32Loss = lossOf(b);
  b.close();
  let bf16Loss: number | null = null;
  if (device === 'cuda') {
    const half = await createTorchBackend({ device, autocast: 'bf16' });
    bf16Loss = lossOf(half);
    half.close();
    const ok = Math.abs(bf16Loss - fp32Loss) <= 0.05 * Math.abs(fp32Loss);
    results.push({
      name: 'bf16 autocast loss within 5% of fp32',
      ok,
      ms: 0,
      ...(ok ? {} : { error: `fp32 ${fp32Loss}, bf16 ${bf16Loss}` }),
    });
    console.log(`${ok ? 'PASS' : 'FAIL'} bf16 autocast loss ${bf16Loss.toFixed(5)} vs fp32 ${fp32Loss.toFixed(5)}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  writeFileSync(
    out,
    `${JSON.stringify({ device, engine: b.engine, deviceName: b.device.name, passed: results.length - failed, failed, fp32Loss, bf16Loss, results }, null, 2)}\n`,
  );
  console.log(`${results.length - failed}/${results.length} checks passed; wrote ${out}`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error(`conformance: ${(e as Error).message}`);
  process.exit(2);
});

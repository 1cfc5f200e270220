// Runs core's conformance suite on the torch backend on one device (cuda on the GPU box), plus a bf16 autocast
// smoke test; prints one line per check and writes JSON. Not vitest: the GPU box has only node and this bundle.
//
//   node conformance.mjs [--device cuda] [--out FILE.json]

import { writeFileSync } from 'node:fs';
import {
  conformanceChecks,
  conformanceWeights,
  crossEntropyLoss,
  forward,
  hostTensor,
  paramSpec,
  TINY_GPT,
  uploadParams,
  disposeParams,
  type Backend,
} from '@hyperclone/core';
import { createTorchBackend } from '@hyperclone/backend-torch';

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

async function main(): Promise<void> {
  const device = flag('device', 'cuda') as 'cpu' | 'cuda';
  const out = flag('out', `conformance-${device}.json`);
  const b = await createTorchBackend({ device });
  console.log(`conformance on ${b.engine}, ${b.device.name}`);
  const results = runChecks(b);
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

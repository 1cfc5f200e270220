// How far this machine's loss trace lies from the record: per case, the largest |Δloss|, the largest
// relative |ΔgradNorm| and both in float32 ulps (what the test bounds), over the steps. Not a test (loss-trace.test.ts judges); run it under other
// kernels, or with a changed option, to see what the test's bounds must let through and what they must catch:
//   ATEN_CPU_CAPABILITY=default npx tsx --conditions=@hyperclone/source packages/trainer/test/loss-trace/spread.ts [--engine torch|tfjs] [--eps E]

import './pin-kernels.js'; // first: before anything loads libtorch
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { createTorchBackend } from '@hyperclone/backend-torch';
import { shakespeareDataset, tempDir } from '../fixtures.js';
import { readRecord, runTraceCase, TRACE_CASES, ulpDistance } from './trace.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const engine = arg('engine') ?? 'torch';
const eps = arg('eps');
const backend = engine === 'tfjs' ? await createTfjsBackend() : await createTorchBackend({ device: 'cpu', threads: 1 });
const recorded = readRecord().engines[backend.engine];
if (!recorded) throw new Error(`no record for ${backend.engine}`);
const data = await shakespeareDataset();
const kernels = `ATEN_CPU_CAPABILITY=${process.env['ATEN_CPU_CAPABILITY']} OPENBLAS_CORETYPE=${process.env['OPENBLAS_CORETYPE']}`;
for (const c of TRACE_CASES) {
  const steps = await runTraceCase(c, data, tempDir('hc-spread-'), backend, eps ? { eps: Number(eps) } : {});
  const ref = recorded[c.name]!;
  const dLoss = Math.max(...steps.map((s, i) => Math.abs(s.loss - ref[i]!.loss)));
  const dGrad = Math.max(...steps.map((s, i) => Math.abs(s.gradNorm - ref[i]!.gradNorm) / ref[i]!.gradNorm));
  const ulps = ulpDistance(steps, ref);
  const first = steps.findIndex((s, i) => s.loss !== ref[i]!.loss || s.gradNorm !== ref[i]!.gradNorm);
  process.stdout.write(
    `${backend.engine} ${kernels}${eps ? ` eps=${eps}` : ''} ${c.name}: max |Δloss| ${dLoss.toExponential(2)}, max rel |ΔgradNorm| ${dGrad.toExponential(2)}, in float32 ulps: loss ${ulps.loss.toFixed(1)}, gradNorm ${ulps.gradNorm.toFixed(1)}; first differing step ${first < 0 ? 'none' : first + 1}\n`,
  );
}
backend.close();

// The fused classifier's memory and time at GPT-2's vocabulary (V = 50,257): the LM head and cross-entropy,
// forward and backward, unfused (the linear layer's (N, V) logits, then crossEntropy) against fused
// (linearCrossEntropy, rows in chunks), each variant in a fresh process so its peak resident memory (VmHWM)
// is its own, in alternating rounds. Not the exactness (test/linear-cross-entropy.test.ts checks that).
//
//   npx tsx --conditions=@hyperclone/source benchmarks/fused-classifier.ts [--rows 2048] [--width 768] [--vocab 50257]
//     [--rounds 3] [--threads 2] [--out benchmarks/results/fused-classifier-cpu.json]
//
// Each variant runs as this script again with --child unfused|fused and the shape flags (one process, one JSON line).
//
// Peak = VmHWM at the end minus VmRSS once the inputs exist; freed memory is kept by the torch backend's
// retainHostMemory, so the high-water mark is the most the pass held at once.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fusedOps, hostTensor, Rng, type Tensor } from '@hyperclone/core';
import { createTorchBackend } from '@hyperclone/backend-torch';
import { int, oneOf, readFlags, string } from './flags.js';

const VARIANTS = ['unfused', 'fused'] as const;
type Variant = (typeof VARIANTS)[number];

interface Measured {
  variant: Variant;
  peakBytes: number;
  /** Forward + backward, the median of 3 after the measured first pass. */
  passMs: number;
  loss: number;
}

function kib(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/self/status (Linux only)`);
  return Number(m[1]) * 1024;
}

/** The child: one variant, one process. */
async function measure(variant: Variant, rows: number, width: number, vocab: number, threads: number): Promise<Measured> {
  const b = await createTorchBackend({ device: 'cpu', threads });
  const rng = new Rng(1, 'fused-classifier');
  const randn = (n: number, std: number) => Float32Array.from({ length: n }, () => rng.normal() * std);
  const x = b.keep(b.fromHost(hostTensor([rows, width], randn(rows * width, 1))));
  const w = b.keep(b.fromHost(hostTensor([vocab, width], randn(vocab * width, 0.02))));
  const t = b.keep(
    b.fromHost(
      hostTensor(
        [rows],
        Int32Array.from({ length: rows }, (_, i) => (i * 7919) % vocab),
      ),
    ),
  );
  const f = fusedOps(b);
  const loss = (xs: Tensor[]) =>
    variant === 'fused'
      ? f.linearCrossEntropy(xs[0]!, xs[1]!, null, t, { ignoreIndex: -1, logitScale: 1 })
      : f.crossEntropy(f.linear(xs[0]!, xs[1]!, null), t, -1);
  const pass = (): number =>
    b.tidy(() => {
      const { value } = b.valueAndGrad(loss, [x, w]);
      return b.toHost(value).data[0]! as never;
    }) as unknown as number;
  const before = kib('VmRSS');
  const value = pass();
  const peakBytes = kib('VmHWM') - before;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    pass();
    times.push(performance.now() - started);
  }
  b.close();
  return { variant, peakBytes, passMs: times.sort((a, c) => a - c)[1]!, loss: value };
}

async function main(): Promise<void> {
  const {
    rows,
    width,
    vocab,
    threads,
    rounds,
    out: outFlag,
    child,
  } = readFlags('benchmarks/fused-classifier.ts', {
    rows: int(2048),
    width: int(768),
    vocab: int(50257),
    rounds: int(3),
    threads: int(2),
    out: string('benchmarks/results/fused-classifier-cpu.json'),
    child: oneOf(VARIANTS), // the one-variant process this script spawns
  });
  if (child) {
    console.log(JSON.stringify(await measure(child, rows, width, vocab, threads)));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const runs: Measured[] = [];
  console.log(`LM head + cross-entropy, forward and backward: ${rows} rows x ${width} -> ${vocab} classes, ${threads} threads`);
  for (let round = 1; round <= rounds; round++) {
    for (const variant of (round % 2 ? ['unfused', 'fused'] : ['fused', 'unfused']) as Variant[]) {
      const args = ['--conditions=@hyperclone/source', '--import', 'tsx', self, '--child', variant];
      const run = spawnSync(
        process.execPath,
        [...args, '--rows', `${rows}`, '--width', `${width}`, '--vocab', `${vocab}`, '--threads', `${threads}`],
        {
          encoding: 'utf8',
          maxBuffer: 16 << 20,
        },
      );
      if (run.status !== 0) throw new Error(`the ${variant} run failed (exit ${run.status}):\n${run.stderr.slice(-1500)}`);
      const m = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Measured;
      runs.push(m);
      console.log(
        `  round ${round} ${variant.padEnd(8)} peak ${(m.peakBytes / 2 ** 20).toFixed(0).padStart(6)} MiB, ${m.passMs.toFixed(0)} ms per pass, loss ${m.loss.toFixed(6)}`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor((xs.length - 1) / 2)]!;
  const of = (v: Variant) => runs.filter((r) => r.variant === v);
  const summary = {
    command: `benchmarks/fused-classifier.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    rows,
    width,
    vocab,
    threads,
    logitsBytes: rows * vocab * 4,
    load: loadavg().map((v) => Math.round(v * 100) / 100),
    medianPeakBytes: { unfused: median(of('unfused').map((r) => r.peakBytes)), fused: median(of('fused').map((r) => r.peakBytes)) },
    medianPassMs: { unfused: median(of('unfused').map((r) => r.passMs)), fused: median(of('fused').map((r) => r.passMs)) },
    runs,
  };
  console.log(
    `median peak: unfused ${(summary.medianPeakBytes.unfused / 2 ** 20).toFixed(0)} MiB, fused ${(summary.medianPeakBytes.fused / 2 ** 20).toFixed(0)} MiB ` +
      `(the float32 logits alone: ${(summary.logitsBytes / 2 ** 20).toFixed(0)} MiB); median pass: unfused ${summary.medianPassMs.unfused.toFixed(0)} ms, fused ${summary.medianPassMs.fused.toFixed(0)} ms`,
  );
  const out = resolve(outFlag);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(`fused-classifier: ${(e as Error).message}`);
  process.exit(1);
});

// Import and export speed and peak memory for a GPT-2-small-shaped (124M) model: each phase in its own process,
// timed and its peak RSS read. Not a test (no assertions): prints a table and writes JSON.
//
//   npx tsx --conditions=@hyperclone/source benchmarks/hf-io.ts [--work DIR] [--out benchmarks/results/hf-io-cpu.json]
//
// Phases: synth (a random gpt2-124m written as a Hugging Face directory, F32 and BF16, and the F32 one converted to
// pytorch_model.bin by torch.save through /usr/bin/python3), import (HF -> our checkpoint: readHuggingFace +
// saveCheckpoint; safetensors F32 and BF16, pytorch_model.bin F32), export (our checkpoint -> HF: loadCheckpoint +
// writeHuggingFace, F32 and BF16), and idle (the same process loading the same modules and nothing else: the floor
// under every RSS figure). Each phase runs as this script again with --phase NAME --work DIR; --work keeps the files
// (by default a temporary folder, removed at the end).

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countParams, getPreset, loadCheckpoint, saveCheckpoint } from '@hyperclone/core';
import { readHuggingFace, writeHuggingFace, type ExportDtype } from '@hyperclone/hf';
import { randomInit } from '@hyperclone/init';
import { readFlags, string } from './flags.js';

interface PhaseResult {
  phase: string;
  wallMs: number;
  peakRssMB: number;
}

const PRESET = 'gpt2-124m';
/** torch.save of a safetensors file's tensors, as transformers' save_pretrained(safe_serialization=False) writes them. */
const TO_BIN = `
import sys, torch
sys.path.insert(0, sys.argv[3])
from hf_reference import read_safetensors
torch.save({k: torch.from_numpy(v.copy()) for k, v in read_safetensors(sys.argv[1]).items()}, sys.argv[2])
`;

async function phase(name: string, work: string): Promise<void> {
  const t0 = performance.now();
  if (name === 'synth') {
    const m = await randomInit(PRESET, { seed: 0 }).load();
    for (const dtype of ['float32', 'bfloat16'] as ExportDtype[])
      await writeHuggingFace(join(work, `hf-${dtype}`), m.config, m.weights, { dtype });
    const bin = join(work, 'hf-bin-float32');
    mkdirSync(bin);
    copyFileSync(join(work, 'hf-float32', 'config.json'), join(bin, 'config.json'));
    const scripts = fileURLToPath(new URL('../scripts/fixtures', import.meta.url));
    execFileSync('/usr/bin/python3', [
      '-c',
      TO_BIN,
      join(work, 'hf-float32', 'model.safetensors'),
      join(bin, 'pytorch_model.bin'),
      scripts,
    ]);
  } else if (name.startsWith('import-')) {
    const dtype = name.slice('import-'.length);
    const m = await readHuggingFace(join(work, `hf-${dtype}`));
    await saveCheckpoint(join(work, `ckpt-from-${dtype}`), { config: m.config, weights: m.weights, origin: m.origin });
  } else if (name.startsWith('export-')) {
    const dtype = name.slice('export-'.length) as ExportDtype;
    const ckpt = await loadCheckpoint(join(work, 'ckpt-from-float32'));
    await writeHuggingFace(join(work, `out-${dtype}`), ckpt.config, ckpt.weights, { dtype });
  } else if (name !== 'idle') throw new Error(`unknown phase ${name}`);
  const wallMs = performance.now() - t0;
  const peakRssMB = process.resourceUsage().maxRSS / 1024; // kilobytes on Linux
  process.stdout.write(JSON.stringify({ phase: name, wallMs, peakRssMB } satisfies PhaseResult) + '\n');
}

function runPhase(name: string, work: string): PhaseResult {
  const args = [...process.execArgv, process.argv[1]!, '--phase', name, '--work', work];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1)!) as PhaseResult;
}

const dirBytes = (dir: string): number => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

function main(): void {
  const f = readFlags('benchmarks/hf-io.ts', {
    work: string(), // default: a fresh temporary folder, removed at the end
    out: string('benchmarks/results/hf-io-cpu.json'),
    phase: string(), // one phase, in the process this script spawns for it
  });
  const work = f.work ?? mkdtempSync(join(tmpdir(), 'hf-io-'));
  const name = f.phase;
  if (name) {
    void phase(name, work);
    return;
  }
  mkdirSync(work, { recursive: true });
  const phases = ['idle', 'synth', 'import-float32', 'import-bfloat16', 'import-bin-float32', 'export-float32', 'export-bfloat16'];
  const results = phases.map((p) => runPhase(p, work));
  const params = countParams(getPreset(PRESET));
  const weightsMB = (params * 4) / 1e6;
  const bytesOf: Record<string, number> = {
    'import-float32': dirBytes(join(work, 'hf-float32')),
    'import-bfloat16': dirBytes(join(work, 'hf-bfloat16')),
    'import-bin-float32': dirBytes(join(work, 'hf-bin-float32')),
    'export-float32': dirBytes(join(work, 'out-float32')),
    'export-bfloat16': dirBytes(join(work, 'out-bfloat16')),
  };
  const idle = results[0]!.peakRssMB;
  console.log(
    `${PRESET}: ${params.toLocaleString('en-US')} parameters, ${weightsMB.toFixed(0)} MB as float32; process floor ${idle.toFixed(0)} MB RSS`,
  );
  console.log('phase                wall s   HF files MB   MB/s   peak RSS MB   above floor / float32 weights');
  for (const r of results.slice(1)) {
    const mb = (bytesOf[r.phase] ?? 0) / 1e6;
    const rate = mb > 0 ? (mb / (r.wallMs / 1000)).toFixed(0) : '-';
    console.log(
      `${r.phase.padEnd(20)} ${(r.wallMs / 1000).toFixed(2).padStart(6)}   ${mb > 0 ? mb.toFixed(0).padStart(11) : '          -'}   ${rate.padStart(4)}   ${r.peakRssMB.toFixed(0).padStart(11)}   ${((r.peakRssMB - idle) / weightsMB).toFixed(2)}`,
    );
  }
  const out = resolve(f.out);
  mkdirSync(dirname(out), { recursive: true });
  const record = {
    preset: PRESET,
    params,
    weightsMB,
    cpu: cpus()[0]?.model ?? null,
    cores: cpus().length,
    node: process.version,
    hfFileBytes: bytesOf,
    phases: results,
  };
  writeFileSync(out, JSON.stringify(record, null, 2) + '\n');
  console.log(`wrote ${out}`);
  if (!f.work) rmSync(work, { recursive: true, force: true });
}

main();

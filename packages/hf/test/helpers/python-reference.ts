// Runs scripts/fixtures/hf_reference.py (the plain-PyTorch transcription of transformers) on model directories,
// and decides whether a test that needs it runs, fails or skips. Not a test itself.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** Debian's python3 with python3-torch (scripts/setup.sh installs it), or HYPERCLONE_PYTHON. */
export const PYTHON = process.env['HYPERCLONE_PYTHON'] ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../../scripts/fixtures/hf_reference.py', import.meta.url));

let probed: string | null | undefined;

/** Why the reference cannot run here, or null when python3 imports torch and numpy. */
export function pythonUnavailableReason(): string | null {
  if (probed !== undefined) return probed;
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  probed = r.status === 0 ? null : `${PYTHON} cannot import torch and numpy (${(r.stderr || String(r.error)).trim().split('\n').at(-1)})`;
  return probed;
}

/**
 * describe() when the reference runs. Otherwise one failing test saying why, in CI and wherever setup
 * was asked to install it (the default); a loud skip only when HYPERCLONE_PYTORCH_REFERENCE=0 outside CI.
 */
export function describePython(name: string, body: () => void): void {
  const why = pythonUnavailableReason();
  if (why === null) {
    describe(name, body);
    return;
  }
  const ci = process.env['CI'] === 'true' || process.env['CI'] === '1';
  if (ci || process.env['HYPERCLONE_PYTORCH_REFERENCE'] !== '0') {
    describe(name, () => {
      it('needs the PyTorch reference (bash scripts/setup.sh installs python3-torch)', () => {
        throw new Error(`the PyTorch reference is unavailable: ${why}`);
      });
    });
    return;
  }
  console.warn(`\n*** SKIPPING "${name}": ${why} (HYPERCLONE_PYTORCH_REFERENCE=0) ***\n`);
  describe.skip(name, body);
}

export interface ReferenceRun {
  architecture: string;
  shape: number[];
  logits: number[];
  loss: number;
  greedy?: number[];
  error?: string;
}

/** The transcription's logits (and greedy continuation of the first row's prompt) for each directory. */
export function runReference(
  dirs: string[],
  tokens: number[][],
  options: { greedy?: number; promptLen?: number } = {},
): Record<string, ReferenceRun> {
  const args = [SCRIPT, ...dirs.flatMap((d) => ['--model', d]), '--tokens', tokens.map((r) => r.join(',')).join(';')];
  if (options.greedy) args.push('--greedy', String(options.greedy), '--prompt-len', String(options.promptLen ?? 1));
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`hf_reference.py failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout) as Record<string, ReferenceRun>;
}

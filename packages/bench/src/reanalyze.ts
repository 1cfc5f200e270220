// Recomputing a finished benchmark's numbers and report from its run directories: after the
// analysis has changed, or against another target. Not training (compare.ts) or rendering (report.ts).

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '@hyperclone/core';
import type { Summary } from '@hyperclone/trainer';
import { readPath, recordPath } from '@hyperclone/trainer';
import { analyze, type ArmRun, type BenchResult } from './analyze.js';
import { readEvals, type TargetMetric } from './time-to-target.js';
import { writeReport } from './report.js';

/**
 * Reads `dir/summary.json` and every run it lists, analyzes them again (against `target`, or the
 * benchmark's own target) and rewrites summary.json, report.md, report.html and the plots.
 * Run directories are recorded relative to `dir`, so a copied or moved benchmark folder reports
 * the same; a summary that recorded absolute paths (older versions) finds its runs under `dir/runs/`.
 */
export async function reanalyzeBench(dir: string, target?: { metric: TargetMetric; value: number }): Promise<BenchResult> {
  const file = join(dir, 'summary.json');
  if (!existsSync(file)) throw new Error(`${dir} holds no benchmark to report on (no summary.json)`);
  const old = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
  if (old.format !== 'hyperclone-bench') throw new Error(`${file} is not a benchmark summary (format ${JSON.stringify(old.format)})`);
  const runs: ArmRun[] = [];
  for (const [arm, outcomes] of Object.entries(old.arms)) {
    for (const o of outcomes) {
      const recorded = readPath(dir, o.runDir);
      const moved = join(dir, 'runs', basename(o.runDir));
      const runDir = [recorded, moved].find((d) => existsSync(join(d, 'eval.jsonl')));
      if (!runDir) throw new Error(`the ${arm} run of seed ${o.seed} is gone (no eval.jsonl in ${recorded} or ${moved})`);
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Summary;
      runs.push({ arm, seed: o.seed, runDir: recordPath(dir, runDir), summary, evals: readEvals(runDir) });
    }
  }
  const given = old.target.definition === 'given' ? { metric: old.target.metric, value: Object.values(old.target.perSeed)[0]! } : null;
  const result = analyze({ runs, small: old.small, target: target ?? given, options: old.options });
  await writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n');
  await writeReport(dir, result);
  return result;
}

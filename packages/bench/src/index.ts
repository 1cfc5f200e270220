// @hyperclone/bench: the clone-vs-random time-to-target benchmark (runs, analysis, report), the names
// meant for users and the CLI. Not the training loop (@hyperclone/trainer).

export { compareCloneVsRandom, DEFAULT_VARIANTS, SHARED_TRAIN_KEYS, type CompareOptions } from './compare.js';
export { reanalyzeBench } from './reanalyze.js';
export { checkArms } from './arms.js';
export {
  analyze,
  COST_KEYS,
  STAGED_ARM,
  type Versus,
  type AnalyzeInput,
  type ArmRun,
  type BenchResult,
  type BudgetRow,
  type CloneArmResult,
  type CostKey,
  type SeedOutcome,
  type SmallCost,
  type SpeedupStats,
} from './analyze.js';
export { costToTarget, metricOf, readEvals, type Cost, type TargetMetric } from './time-to-target.js';
export { budgetTableRows, curvePoints, seedRows, speedupRows, symmetryRows, writeReport, type Plot } from './report.js';
export { barSpec, budgetSpec, curveSpec, renderSvg, type CurvePoint, type CurveOptions } from './plots.js';
export { mean, std, welchTTest, type WelchResult } from './stats.js';

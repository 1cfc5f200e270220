// @hyperclone/bench: the clone-vs-random time-to-target benchmark (runs, analysis, report), the names
// meant for users and the CLI. Not the training loop (@hyperclone/trainer).

// the pipeline: inputs -> arms -> runs -> analysis -> report, driven by compareCloneVsRandom
export { compareCloneVsRandom } from './compare.js';
export {
  DEFAULT_VARIANTS,
  isStagedArm,
  recipeStages,
  SHARED_TRAIN_KEYS,
  STAGED_ARM,
  STAGED_RECIPE,
  type CompareOptions,
} from './bench-options.js';
export { checkArms, readBenchInputs, type BenchInputs } from './bench-inputs.js';
export { benchArms, type Arm } from './bench-arms.js';
export { trainBenchRuns, type BenchRuns } from './bench-runs.js';
export { reanalyzeBench } from './reanalyze.js';
export {
  analyze,
  COST_KEYS,
  type Versus,
  type AnalyzeInput,
  type ArmSpeedups,
  type Spent,
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
export { barSpec, budgetSpec, curveSpec, evalCurvePoint, renderSvg, type CurvePoint, type CurveOptions } from './plots.js';
export { mean, std, welchTTest, type WelchResult } from './stats.js';
export { REPORT_CSS } from './report-style.js';

// A run's events as TensorBoard event files: the rows of metrics.jsonl and eval.jsonl as scalars on the
// step axis, the config, the final summary and samples of text as text, checkpoints as session logs, and the HParams
// plugin's session records so runs compare by their options. Not the file format (event-file.ts, event-schema.ts).

import { rm } from 'node:fs/promises';
import type { CheckpointEvent, EvalEvent, StartEvent, StepEvent } from '../events.js';
import type { Summary } from '../summary.js';
import { EventFile, eventFiles, truncateEventFiles } from './event-file.js';
import {
  DATA_CLASS_TENSOR,
  DT_FLOAT,
  DT_STRING,
  encodeHParamsData,
  HPARAMS_STATUS,
  SESSION_STATUS,
  type HParamValue,
  type SummaryValue,
} from './event-schema.js';

/** metrics.jsonl's fields logged as scalars, each under `train/<field>` (a field a row lacks, or null, is left out). */
export const STEP_SCALARS = ['loss', 'lr', 'gradNorm', 'tokensPerSec', 'mfu', 'deviceHours', 'stepSeconds', 'symmetry', 'stage'] as const;

const HPARAMS_PLUGIN = 'hparams';
const TEXT_PLUGIN = 'text';
/** Options that are places, not settings: left out of the HParams record. */
const NOT_HPARAMS = new Set(['format', 'version', 'data', 'out', 'tasks', 'tensorboard']);

/**
 * Why a folder cannot take this run's event files, or null: it may hold none but this run's own (a
 * resumed run's, or those of the same run that stopped before its first checkpoint and starts over);
 * another run's would mix with them.
 */
export function tensorBoardDirProblem(dir: string, own: boolean): string | null {
  if (own || eventFiles(dir).length === 0) return null;
  return `--tensorboard ${dir} already holds another run's TensorBoard event files; give each run its own folder (e.g. RUN/tensorboard)`;
}

export class TensorBoardSink {
  private constructor(
    private readonly file: EventFile,
    private readonly runDir: string,
  ) {}

  /**
   * Opens the folder for a run: a fresh run starts its first file (one that starts over first removes
   * its earlier attempt's); a resumed one first drops the events logged after its checkpoint (so no
   * step appears twice) and starts a new file that marks the restart.
   */
  static async open(
    dir: string,
    start: StartEvent,
    o: { startOver?: boolean; onTorn?: (message: string) => void } = {},
  ): Promise<TensorBoardSink> {
    if (start.resumedFromStep !== null) await truncateEventFiles(dir, start.resumedFromStep, o.onTorn ?? (() => {}));
    else if (o.startOver) for (const path of eventFiles(dir)) await rm(path);
    const sink = new TensorBoardSink(await EventFile.create(dir), start.runDir);
    sink.started(start);
    return sink;
  }

  private started(e: StartEvent): void {
    const wallTime = Date.now() / 1000;
    if (e.resumedFromStep !== null) {
      // TensorBoard drops what it read at or after this step (a live reader saw the crashed run's tail)
      this.file.write({ wallTime, step: e.resumedFromStep + 1, sessionLog: { status: SESSION_STATUS.start } });
      return;
    }
    const hparams = encodeHParamsData({
      version: 0,
      sessionStartInfo: { hparams: hparamsOf(e.config), modelUri: `${this.runDir}/checkpoints`, startTimeSecs: wallTime },
    });
    this.file.write({
      wallTime,
      step: 0,
      summary: {
        value: [textValue('config', configText(e.config)), pluginTensor('_hparams_/session_start_info', HPARAMS_PLUGIN, hparams)],
      },
    });
  }

  /** One metrics.jsonl row: its numbers under `train/<field>`. */
  step(row: StepEvent): void {
    const values: SummaryValue[] = [];
    for (const field of STEP_SCALARS) {
      const v = row[field];
      if (typeof v === 'number') values.push({ tag: `train/${field}`, simpleValue: v });
    }
    this.file.write({ wallTime: Date.now() / 1000, step: row.step, summary: { value: values } });
  }

  /** One eval.jsonl row: `val/loss`, `val/ppl`, `val/acc`, `val/symmetry` and `tasks/<name>/acc|accNorm`. */
  evaluation(row: EvalEvent): void {
    const values: SummaryValue[] = [
      { tag: 'val/loss', simpleValue: row.val.loss },
      { tag: 'val/ppl', simpleValue: row.val.ppl },
      { tag: 'val/acc', simpleValue: row.val.acc },
    ];
    if (row.symmetry?.mean != null) values.push({ tag: 'val/symmetry', simpleValue: row.symmetry.mean });
    for (const [name, score] of Object.entries(row.tasks)) {
      values.push({ tag: `tasks/${name}/acc`, simpleValue: score.acc }, { tag: `tasks/${name}/accNorm`, simpleValue: score.accNorm });
    }
    this.file.write({ wallTime: Date.now() / 1000, step: row.step, summary: { value: values } });
  }

  /** What the model wrote at an evaluation (text-sample.ts), as a code block so its spacing shows. */
  sample(step: number, text: string): void {
    this.file.write({ wallTime: Date.now() / 1000, step, summary: { value: [textValue('samples', indented(text))] } });
  }

  checkpoint(e: CheckpointEvent): void {
    this.file.write({
      wallTime: Date.now() / 1000,
      step: e.step,
      sessionLog: { status: SESSION_STATUS.checkpoint, checkpointPath: e.dir, msg: e.reason },
    });
  }

  /** The end of this invocation: summary.json as text, and the HParams session's status (a run that can resume is still running). */
  end(summary: Summary): void {
    const done = summary.stopReason === 'completed' || summary.stopReason === 'target';
    this.endSession(summary.steps, done ? HPARAMS_STATUS.success : HPARAMS_STATUS.running, [textValue('summary', jsonText(summary))]);
  }

  /** A run that failed (diverged, or an error): the HParams session ends as a failure at `step`. */
  failed(step: number): void {
    try {
      this.endSession(step, HPARAMS_STATUS.failure, []);
    } catch {
      // the run's own error is the one to report (this write may fail for the same reason, a full disk)
    }
  }

  private endSession(step: number, status: number, extra: SummaryValue[]): void {
    const wallTime = Date.now() / 1000;
    const data = encodeHParamsData({ version: 0, sessionEndInfo: { status, endTimeSecs: wallTime } });
    this.file.write({ wallTime, step, summary: { value: [...extra, pluginTensor('_hparams_/session_end_info', HPARAMS_PLUGIN, data)] } });
  }

  close(): void {
    this.file.close();
  }
}

/** A text summary (the text plugin renders it as markdown). */
function textValue(tag: string, markdown: string): SummaryValue {
  return {
    tag,
    metadata: { pluginData: { pluginName: TEXT_PLUGIN, content: new Uint8Array() }, dataClass: DATA_CLASS_TENSOR },
    tensor: { dtype: DT_STRING, tensorShape: { dim: [] }, stringVal: [new TextEncoder().encode(markdown)] },
  };
}

/** A plugin's record: its content in the metadata, a scalar 0 as the value (what the HParams plugin writes). */
function pluginTensor(tag: string, pluginName: string, content: Uint8Array): SummaryValue {
  return {
    tag,
    metadata: { pluginData: { pluginName, content }, dataClass: DATA_CLASS_TENSOR },
    tensor: { dtype: DT_FLOAT, tensorShape: { dim: [] }, floatVal: [0] },
  };
}

/** JSON as a markdown code block. */
function jsonText(value: unknown): string {
  return indented(JSON.stringify(value, null, 2));
}

/** A markdown code block: every line indented four spaces. */
function indented(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function configText(config: Record<string, unknown>): string {
  const { data: _d, out: _o, ...shown } = config;
  return jsonText(shown);
}

/** The run's settings as the HParams plugin takes them: every number, text and switch of config.json, `model.*` for the model's. */
export function hparamsOf(config: Record<string, unknown>): Record<string, HParamValue> {
  const out: Record<string, HParamValue> = {};
  const add = (name: string, v: unknown): void => {
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = { numberValue: v };
    else if (typeof v === 'string') out[name] = { stringValue: v };
    else if (typeof v === 'boolean') out[name] = { boolValue: v };
  };
  for (const [key, v] of Object.entries(config)) {
    if (NOT_HPARAMS.has(key)) continue;
    if (key === 'model' && typeof v === 'object' && v !== null) for (const [k, mv] of Object.entries(v)) add(`model.${k}`, mv);
    else if (key === 'init' && typeof v === 'object' && v !== null) add('init', (v as { kind?: unknown }).kind);
    else add(key, v);
  }
  return out;
}

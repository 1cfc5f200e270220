// A metrics sink writing the run's events as TensorBoard event files: the rows of metrics.jsonl and eval.jsonl
// as scalars on the step axis, the config, the final summary and samples of text as text, checkpoints as session
// logs, and the HParams plugin's session records so runs compare by their options. Not the file format
// (event-file.ts, event-schema.ts) and not the record of truth (the JSONL files, jsonl-sink.ts).

import { rm } from 'node:fs/promises';
import type { CheckpointEvent, EvalEvent, RunEvent, StepEvent } from '../metrics/events.js';
import type { MetricsSink } from '../metrics/metrics-sink.js';
import type { Summary } from '../metrics/summary.js';
import { EventFile, eventFiles, truncateEventFiles } from './event-file.js';
import {
  DATA_CLASS_TENSOR,
  DT_FLOAT,
  DT_STRING,
  encodeHParamsData,
  HPARAMS_STATUS,
  SESSION_STATUS,
  type EventMessage,
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

type StartOf<E> = Extract<E, { kind: 'start' }>;

export interface TensorBoardSinkOptions {
  /** What the model writes at an evaluation (text-sample.ts); null: no samples (the data carries no tokenizer). */
  sample: ((step: number) => string) | null;
  /** A torn record dropped from a crashed invocation's file, said as a warning. */
  onTorn: (message: string) => void;
}

/**
 * The sink of one invocation into `dir`. At the start event a fresh run removes event files left in the
 * folder (the run opened it only if they are its own earlier attempt's: tensorBoardDirProblem), and a
 * resumed one first drops the events logged after its checkpoint (so no step appears twice); either then
 * starts a new file. Closed without a summary (an error), it ends the HParams session as a failure.
 */
export class TensorBoardSink implements MetricsSink {
  private file: EventFile | null = null;
  private lastStep = 0;
  private ended = false;

  constructor(
    private readonly dir: string,
    private readonly o: TensorBoardSinkOptions,
  ) {}

  async write(e: RunEvent): Promise<void> {
    if (e.kind === 'start') {
      await this.open(e);
      return;
    }
    if (!this.file) throw new Error(`TensorBoardSink: a ${e.kind} event before the start event`);
    switch (e.kind) {
      case 'step':
        this.step(e.row);
        break;
      case 'eval':
        this.evaluation(e.row);
        if (this.o.sample) this.sample(e.row.step, this.o.sample(e.row.step));
        break;
      case 'checkpoint':
        this.checkpoint(e);
        break;
      case 'summary':
        this.end(e.summary);
        break;
      default:
        return; // task scores and symmetry are in the evaluation's row; a growth shows in train/stage
    }
  }

  private async open(start: StartOf<RunEvent>): Promise<void> {
    if (start.resumedFromStep !== null) await truncateEventFiles(this.dir, start.resumedFromStep, this.o.onTorn);
    else for (const path of eventFiles(this.dir)) await rm(path);
    this.file = await EventFile.create(this.dir);
    this.lastStep = start.resumedFromStep ?? 0;
    this.started(start);
  }

  private started(e: StartOf<RunEvent>): void {
    const wallTime = Date.now() / 1000;
    if (e.resumedFromStep !== null) {
      // TensorBoard drops what it read at or after this step (a live reader saw the crashed run's tail)
      this.record(e.resumedFromStep + 1, { sessionLog: { status: SESSION_STATUS.start } }, wallTime);
      return;
    }
    const config = e.config as unknown as Record<string, unknown>;
    const hparams = encodeHParamsData({
      version: 0,
      sessionStartInfo: { hparams: hparamsOf(config), modelUri: `${e.runDir}/checkpoints`, startTimeSecs: wallTime },
    });
    const values = [textValue('config', configText(config)), pluginTensor('_hparams_/session_start_info', HPARAMS_PLUGIN, hparams)];
    this.record(0, { summary: { value: values } }, wallTime);
  }

  /** One metrics.jsonl row: its numbers under `train/<field>`. */
  private step(row: StepEvent): void {
    const values: SummaryValue[] = [];
    for (const field of STEP_SCALARS) {
      const v = row[field];
      if (typeof v === 'number') values.push({ tag: `train/${field}`, simpleValue: v });
    }
    this.record(row.step, { summary: { value: values } });
  }

  /** One eval.jsonl row: `val/loss`, `val/ppl`, `val/acc`, `val/symmetry` and `tasks/<name>/acc|accNorm`. */
  private evaluation(row: EvalEvent): void {
    const values: SummaryValue[] = [
      { tag: 'val/loss', simpleValue: row.val.loss },
      { tag: 'val/ppl', simpleValue: row.val.ppl },
      { tag: 'val/acc', simpleValue: row.val.acc },
    ];
    if (row.symmetry?.mean != null) values.push({ tag: 'val/symmetry', simpleValue: row.symmetry.mean });
    for (const [name, score] of Object.entries(row.tasks)) {
      values.push({ tag: `tasks/${name}/acc`, simpleValue: score.acc }, { tag: `tasks/${name}/accNorm`, simpleValue: score.accNorm });
    }
    this.record(row.step, { summary: { value: values } });
  }

  /** What the model wrote at an evaluation (text-sample.ts), as a code block so its spacing shows. */
  private sample(step: number, text: string): void {
    this.record(step, { summary: { value: [textValue('samples', indented(text))] } });
  }

  private checkpoint(e: CheckpointEvent): void {
    this.record(e.step, { sessionLog: { status: SESSION_STATUS.checkpoint, checkpointPath: e.dir, msg: e.reason } });
  }

  /** The end of this invocation: summary.json as text, and the HParams session's status (a run that can resume is still running). */
  private end(summary: Summary): void {
    const done = summary.stopReason === 'completed' || summary.stopReason === 'target';
    this.endSession(summary.steps, done ? HPARAMS_STATUS.success : HPARAMS_STATUS.running, [textValue('summary', jsonText(summary))]);
    this.ended = true;
  }

  private endSession(step: number, status: number, extra: SummaryValue[]): void {
    const wallTime = Date.now() / 1000;
    const data = encodeHParamsData({ version: 0, sessionEndInfo: { status, endTimeSecs: wallTime } });
    this.record(step, { summary: { value: [...extra, pluginTensor('_hparams_/session_end_info', HPARAMS_PLUGIN, data)] } }, wallTime);
  }

  /** One Event at `step` into this invocation's file. */
  private record(step: number, what: Omit<EventMessage, 'wallTime' | 'step'>, wallTime = Date.now() / 1000): void {
    this.file!.write({ wallTime, step, ...what });
    this.lastStep = Math.max(this.lastStep, step);
  }

  /**
   * The invocation is over. One that ended without its summary failed (diverged, or an error): its HParams
   * session ends as a failure at the last step it recorded.
   */
  close(): void {
    if (!this.file) return;
    try {
      if (!this.ended) this.endSession(this.lastStep, HPARAMS_STATUS.failure, []);
    } catch {
      // the run's own error is the one to report (this write may fail for the same reason, a full disk)
    } finally {
      this.file.close();
      this.file = null;
    }
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

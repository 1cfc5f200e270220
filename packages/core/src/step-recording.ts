// Optional capability of an engine beyond Backend: record the ops of one training step once, then replay
// them with one call per step on new batch data (the torch backend's step programs; on CUDA also a graph).
// Not the step itself (the trainer builds it from forward, loss, clip and AdamW) and not an implementation.

import type { Backend, Tensor } from './backend.js';
import type { HostTensor } from './host-tensor.js';

/** What changes between replays besides the batch: every AdamW update in the step takes this rate and step count. */
export interface ReplayHyper {
  lr: number;
  /** 1-based AdamW step count (bias correction). */
  step: number;
}

export interface StepProgram {
  /** Ops the program holds. */
  readonly size: number;
  /**
   * Copies `data` (one array per recorded input, same lengths and dtypes) into the program's fixed input
   * buffers and runs the recorded ops again; returns new handles to the outputs, or null when a tensor the
   * step read from before its recording (a parameter, a moment) has been disposed since: record again.
   */
  replay(data: readonly (Int32Array | Float32Array)[], hyper: ReplayHyper): Tensor[] | null;
  /**
   * CUDA: after `warmups` more uncaptured replays, the next replay captures the program as a CUDA graph and
   * every later one replays the graph. Returns null when it will, else why not (no CUDA, no graph support).
   */
  captureGraph(hyper: ReplayHyper, warmups: number): string | null;
  /** "none", "captured", the warm-ups left, or why the capture failed. */
  graphState(): string;
  dispose(): void;
}

export interface RecordedStep {
  /** What `step` returned, from its eager run. */
  outputs: Tensor[];
  /** The recorded program, or null when the step did something a program cannot repeat. */
  program: StepProgram | null;
  /** Why there is no program (a host read, a dropout mask, a collective), else null. */
  refusal: string | null;
}

export interface StepRecording {
  /**
   * Uploads `inputs`, runs `step` on them once, eagerly, while recording every engine op it makes, and returns
   * its outputs with the program. Host uploads and scalars made inside `step` become constants of the program;
   * tensors made before it (parameters, moments) are read as they are at each replay (AdamW updates them in place).
   */
  recordStep(inputs: readonly HostTensor[], step: (inputs: Tensor[]) => Tensor[]): RecordedStep;
}

const cache = new WeakMap<Backend, StepRecording | null>();

/** The engine's step recording, or null when it has none (every step then runs eagerly). */
export function stepRecording(b: Backend): StepRecording | null {
  if (cache.has(b)) return cache.get(b)!;
  const r = b as Backend & Partial<StepRecording>;
  const found = typeof r.recordStep === 'function' ? { recordStep: r.recordStep.bind(b) } : null;
  cache.set(b, found);
  return found;
}

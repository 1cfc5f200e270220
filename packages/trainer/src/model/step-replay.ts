// The device part of a training step (forward, loss, backward, clip, the non-finite guard, AdamW) as a
// program the engine records at the first step of a shape and replays with one call per step after it
// (core's StepRecording: the torch backend; on CUDA, optionally, as a CUDA graph). A replay runs the same
// engine ops in the same order, so it gives the eager step's bits. Not the step's host bookkeeping (the
// caller counts AdamW's step and keeps the losses for the readback) and not what the step computes.

import type { Backend, Logger, ReplayHyper, StepProgram, StepRecording, Tensor } from '@hyperclone/core';
import { hostTensor, multiTensorOps, stepRecording } from '@hyperclone/core';
import type { MicroBatch } from './train-step.js';

export type StepReplayMode = 'on' | 'off' | 'graph';

/** Uncaptured replays before a CUDA graph is captured (the graph's stream and cuBLAS warm up on real steps). */
const GRAPH_WARMUPS = 3;

export class StepReplay {
  private program: StepProgram | null = null;
  /** The shape the program was recorded for (micro-batches x rows x tokens). */
  private shapeKey = '';
  /** A shape whose step could not be recorded: it runs eagerly from then on. */
  private refusedKey = '';

  private constructor(
    private readonly b: Backend,
    private readonly recording: StepRecording,
    private readonly graph: boolean,
    private readonly log: Logger,
  ) {}

  /**
   * A replay for this run, or null where every step runs eagerly: mode 'off', an engine without step
   * recording or without the multi-tensor step ops (its steps are checked on the host between the gradients
   * and the update), or one rank of a data-parallel group (its collectives cannot be recorded).
   */
  static for(b: Backend, mode: StepReplayMode, distributed: boolean, log: Logger): StepReplay | null {
    const recording = stepRecording(b);
    if (mode === 'off' || !recording || !multiTensorOps(b) || distributed) return null;
    return new StepReplay(b, recording, mode === 'graph', log);
  }

  /**
   * Runs one step's device work on these micro-batches: a replay of the recorded program when one fits,
   * else `step` eagerly on the uploaded batches (recorded, the first time a shape is seen). `step` takes the
   * batches as device tensors, [inputs, targets] per micro-batch, and returns what the caller keeps.
   */
  run(batches: readonly MicroBatch[], rows: number, seqLen: number, hyper: ReplayHyper, step: (inputs: Tensor[]) => Tensor[]): Tensor[] {
    const key = `${batches.length}x${rows}x${seqLen}`;
    const data = batches.flatMap((m) => [m.inputs, m.targets]);
    if (this.program && this.shapeKey === key) {
      const outputs = this.program.replay(data, hyper);
      if (outputs) return outputs;
      this.log.debug(
        { event: 'step-replay', shape: key },
        'the step program reads tensors that are gone (the model grew): recording it again',
      );
    }
    this.dispose();
    const hosts = data.map((d) => hostTensor([rows, seqLen], d));
    if (this.refusedKey === key) return this.eager(hosts, step);
    const recorded = this.recording.recordStep(hosts, step);
    if (!recorded.program) {
      this.refusedKey = key;
      this.log.debug({ event: 'step-replay', shape: key, refusal: recorded.refusal }, `the step runs eagerly: ${recorded.refusal}`);
      return recorded.outputs;
    }
    this.program = recorded.program;
    this.shapeKey = key;
    const graph = this.graph ? recorded.program.captureGraph(hyper, GRAPH_WARMUPS) : null;
    this.log.debug(
      { event: 'step-replay', shape: key, ops: recorded.program.size, graph: this.graph ? (graph ?? 'after warm-up') : 'off' },
      `recorded the step: ${recorded.program.size} ops, replayed with one call per step from the next`,
    );
    return recorded.outputs;
  }

  /** The CUDA graph's state ("none" without one). */
  graphState(): string {
    return this.program?.graphState() ?? 'none';
  }

  dispose(): void {
    this.program?.dispose();
    this.program = null;
    this.shapeKey = '';
  }

  private eager(hosts: ReturnType<typeof hostTensor>[], step: (inputs: Tensor[]) => Tensor[]): Tensor[] {
    const inputs = hosts.map((h) => this.b.fromHost(h));
    try {
      return step(inputs);
    } finally {
      this.b.dispose(inputs);
    }
  }
}

// core's StepRecording on the native engine: a step's ops recorded once into a program the addon replays
// with one call (native/step-program.cpp), and on CUDA captured as a graph. Not the trainer's use of it
// (packages/trainer's step replay) and not the ops themselves.

import type { HostTensor, RecordedStep, ReplayHyper, StepProgram, StepRecording, Tensor } from '@hyperclone/core';
import type { NativeEngine } from './addon.js';
import { idOf as id, wrap } from './torch-tensor.js';

export function stepRecording(e: NativeEngine): StepRecording {
  return {
    recordStep(inputs: readonly HostTensor[], step: (inputs: Tensor[]) => Tensor[]): RecordedStep {
      const uploaded = inputs.map((h) => wrap(e.fromHost(h.data, h.shape), [...h.shape]));
      let outputs: Tensor[];
      try {
        e.beginRecord(uploaded.map(id));
        outputs = step(uploaded);
      } catch (err) {
        e.abortRecord();
        throw err;
      } finally {
        e.dispose(uploaded.map(id));
      }
      const made = e.endRecord(outputs.map(id));
      if (typeof made === 'string') return { outputs, program: null, refusal: made };
      return { outputs, program: programHandle(e, made), refusal: null };
    },
  };
}

function programHandle(e: NativeEngine, program: number): StepProgram {
  const size = e.programState(program).instructions;
  return {
    size,
    replay(data: readonly (Int32Array | Float32Array)[], hyper: ReplayHyper): Tensor[] | null {
      const ids = e.replay(program, [...data], hyper.lr, hyper.step);
      return ids === null ? null : ids.map((i) => wrap(i));
    },
    captureGraph(hyper: ReplayHyper, warmups: number): string | null {
      const done = e.captureGraph(program, hyper.lr, hyper.step, warmups);
      return done === true ? null : done;
    },
    graphState: () => e.programState(program).graph,
    dispose: () => e.disposeProgram(program),
  };
}

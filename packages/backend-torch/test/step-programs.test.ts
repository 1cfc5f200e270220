// Step programs on the torch backend (core's StepRecording): a recorded training step replayed on new batches
// gives the eager step's bits, parameters and moments updated in place as eager updates them; what a program
// cannot hold is refused with a reason; a program whose parameters are gone says so. Not the trainer's use.

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  disposeParams,
  hostTensor,
  languageModelLoss,
  paramSpec,
  resolveConfig,
  uploadParams,
  zeros,
  type ModelConfig,
  type Tensor,
} from '@hyperclone/core';
import { randomWeights } from '@hyperclone/init';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

const config: ModelConfig = { ...resolveConfig('tiny'), vocabSize: 64, contextLength: 16 };
const B = 3;
const T = 16;

function batch(seed: number): Int32Array[] {
  const tokens = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7 + seed * 13 + ((i * seed) % 5)) % config.vocabSize);
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let r = 0; r < B; r++) {
    inputs.set(tokens.subarray(r * (T + 1), r * (T + 1) + T), r * T);
    targets.set(tokens.subarray(r * (T + 1) + 1, (r + 1) * (T + 1)), r * T);
  }
  return [inputs, targets];
}

describeTorch('torch step programs', () => {
  let b: TorchBackend;
  beforeAll(async () => {
    b = await createTorchBackend({ device: 'cpu', threads: 1 });
  });
  afterAll(() => b.close());

  /** A model, its AdamW moments and a guard, and the trainer's step (loss, backward, clip, guard, AdamW) over them. */
  function trainingState() {
    const specs = paramSpec(config);
    const names = specs.map((s) => s.name);
    const params = uploadParams(b, config, randomWeights(config, 4)) as Record<string, Tensor>;
    const m = specs.map((s) => b.keep(b.fromHost(zeros(s.shape))));
    const v = specs.map((s) => b.keep(b.fromHost(zeros(s.shape))));
    const guard = b.keep(b.fromHost(zeros([1])));
    const step = (hyper: { lr: number; step: number }) => (inputs: Tensor[]) => {
      const { value, grads } = b.valueAndGrad(
        (xs) => languageModelLoss(b, config, Object.fromEntries(names.map((n, i) => [n, xs[i]!])), inputs[0]!, inputs[1]!),
        names.map((n) => params[n]!),
      );
      const sumSq = b.clipGradNorm(grads, 0.5, 1);
      b.flagNonFinite(guard, [sumSq, value]);
      b.adamwAll(
        names.map((n) => params[n]!),
        grads,
        m,
        v,
        { ...hyper, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
        guard,
      );
      b.dispose(grads);
      return [value, sumSq];
    };
    const snapshot = () => [...names.map((n) => params[n]!), ...m, ...v].map((t) => Array.from(b.toHost(t).data));
    const dispose = () => {
      disposeParams(b, params);
      b.dispose([...m, ...v, guard]);
    };
    return { params, names, step, snapshot, dispose };
  }

  const hyperAt = (n: number) => ({ lr: 0.01 * (1 + n / 10), step: n });

  it('replays a recorded step on new batches with the eager step bit for bit: outputs, parameters, moments', () => {
    const eager = trainingState();
    const replayed = trainingState();
    const eagerOut: number[][] = [];
    const replayOut: number[][] = [];
    for (let n = 1; n <= 4; n++) {
      const [inputs, targets] = batch(n);
      const outs = b.tidy(() => {
        const tensors = [b.fromHost(hostTensor([B, T], inputs!)), b.fromHost(hostTensor([B, T], targets!))];
        return eager.step(hyperAt(n))(tensors);
      });
      eagerOut.push(outs.map((t) => b.toHost(t).data[0]!));
      b.dispose(outs);
    }
    const recorded = b.recordStep(
      batch(1).map((d) => hostTensor([B, T], d)),
      replayed.step(hyperAt(1)),
    );
    expect(recorded.refusal).toBeNull();
    const program = recorded.program!;
    expect(program.size).toBeGreaterThan(30);
    replayOut.push(recorded.outputs.map((t) => b.toHost(t).data[0]!));
    b.dispose(recorded.outputs);
    for (let n = 2; n <= 4; n++) {
      const outs = program.replay(batch(n), hyperAt(n))!;
      replayOut.push(outs.map((t) => b.toHost(t).data[0]!));
      b.dispose(outs);
    }
    expect(replayOut).toEqual(eagerOut);
    expect(eagerOut[3]![0]).not.toBe(eagerOut[0]![0]); // it trained: the loss moved
    expect(replayed.snapshot()).toEqual(eager.snapshot());
    expect(program.graphState()).toBe('none');
    expect(program.captureGraph(hyperAt(5), 1)).toBe('CUDA graphs need a cuda device');
    program.dispose();
    eager.dispose();
    replayed.dispose();
  });

  it('leaves no tensors behind: a replay adds only its outputs', () => {
    const state = trainingState();
    const recorded = b.recordStep(
      batch(1).map((d) => hostTensor([B, T], d)),
      state.step(hyperAt(1)),
    );
    b.dispose(recorded.outputs);
    const live = b.liveTensors();
    for (let n = 2; n <= 5; n++) b.dispose(recorded.program!.replay(batch(n), hyperAt(n))!);
    expect(b.liveTensors()).toBe(live);
    recorded.program!.dispose();
    state.dispose();
  });

  it('refuses what a program cannot repeat, and still runs the step eagerly', () => {
    const x = b.keep(b.fromHost(hostTensor([2, 3], new Float32Array([1, 2, 3, 4, 5, 6]))));
    const read = b.recordStep([hostTensor([2], new Int32Array([1, 2]))], () => {
      const y = b.mul(x, x);
      b.toHost(y);
      return [y];
    });
    expect(read.program).toBeNull();
    expect(read.refusal).toBe('the step read a value back to the host');
    expect(Array.from(b.toHost(read.outputs[0]!).data)).toEqual([1, 4, 9, 16, 25, 36]);
    const dropped = b.recordStep([], () => [b.dropout(x, 0.5, 7)]);
    expect(dropped.refusal).toBe('dropout draws a new mask every step (its seed changes)');
    const plain = b.recordStep([], () => [b.dropout(x, 0, 7)]); // rate 0: the identity, recordable
    expect(plain.refusal).toBeNull();
    plain.program!.dispose();
    b.dispose([x, ...read.outputs, ...dropped.outputs, ...plain.outputs]);
  });

  it('says when the tensors it reads are gone, and names a batch that does not fit', () => {
    const w = b.keep(b.fromHost(hostTensor([3], new Float32Array([1, 2, 3]))));
    const recorded = b.recordStep([hostTensor([3], new Float32Array([1, 1, 1]))], ([x]) => [b.add(x!, w)]);
    const program = recorded.program!;
    const out = program.replay([new Float32Array([10, 20, 30])], hyperAt(1))!;
    expect(Array.from(b.toHost(out[0]!).data)).toEqual([11, 22, 33]);
    expect(() => program.replay([new Float32Array(2)], hyperAt(1))).toThrow(
      /^torch replayStep: replay input of 2 float32 values does not fit the recorded buffer \[3\] Float$/,
    );
    expect(() => program.replay([new Int32Array(3)], hyperAt(1))).toThrow(/does not fit the recorded buffer \[3\] Float/);
    b.dispose([w, ...out, ...recorded.outputs]);
    expect(program.replay([new Float32Array(3)], hyperAt(1))).toBeNull();
    program.dispose();
    expect(() => program.replay([new Float32Array(3)], hyperAt(1))).toThrow(/^torch replayStep: step program #\d+ was disposed$/);
  });
});

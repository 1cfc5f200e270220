// Validation metrics on a fixed set of windows: mean next-token loss (nats), perplexity and top-1
// accuracy. Not the choice of windows (data's evalWindows, seeded) and not downstream tasks (tasks.ts).

import type { Backend, ModelConfig, Params } from '@hyperclone/core';
import { forward, fusedOps, hostTensor } from '@hyperclone/core';
import type { ValMetrics } from '../metrics/events.js';

/** One validation window: T input tokens and their T next-token targets. */
export interface EvalWindow {
  inputs: Int32Array;
  targets: Int32Array;
}

/**
 * Averages over every target token of every window (windows are equal length, so this is also
 * the mean of the per-window means). Runs in inference mode: no dropout.
 */
export function evaluateWindows(
  b: Backend,
  config: ModelConfig,
  params: Params,
  windows: readonly EvalWindow[],
  batchSize: number,
): ValMetrics {
  if (windows.length === 0) throw new Error('evaluation needs at least one validation window');
  const T = windows[0]!.inputs.length;
  let lossSum = 0;
  let correct = 0;
  let tokens = 0;
  for (let start = 0; start < windows.length; start += batchSize) {
    const batch = windows.slice(start, start + batchSize);
    const B = batch.length;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    batch.forEach((w, i) => {
      inputs.set(w.inputs, i * T);
      targets.set(w.targets, i * T);
    });
    const [lossT, predT] = b.tidy(() => {
      const x = b.fromHost(hostTensor([B, T], inputs)); // (B, T)
      const y = b.fromHost(hostTensor([B * T], targets)); // (B·T)
      const { logits } = forward(b, config, params, x); // (B, T, V)
      const flat = b.reshape(logits, [B * T, config.vocabSize]); // (B·T, V)
      return [fusedOps(b).crossEntropy(flat, y, -1), b.argmax(flat, -1)]; // (), (B·T)
    });
    const predicted = b.toHost(predT).data;
    lossSum += b.toHost(lossT).data[0]! * B * T;
    b.dispose([lossT, predT]);
    for (let i = 0; i < B * T; i++) if (predicted[i] === targets[i]) correct++;
    tokens += B * T;
  }
  const loss = lossSum / tokens;
  return { loss, ppl: Math.exp(loss), acc: correct / tokens, tokens };
}

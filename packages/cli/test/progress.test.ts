// The progress display: what a step line says, in-place rewriting on a terminal, throttled plain lines elsewhere, the ETA.
// Not the commands that drive it.

// The train progress display: one rewritten line on a terminal, throttled plain lines elsewhere.
import { describe, expect, it } from 'vitest';
import type { StepEvent } from '@hyperclone/trainer';
import { formatDuration, formatStep, ProgressDisplay } from '../src/progress.js';

const step = (n: number, total = 100): StepEvent => ({
  step: n,
  totalSteps: total,
  tokens: n * 1024,
  loss: 2.5,
  lr: 1e-3,
  gradNorm: 0.5,
  tokensPerSec: 5432.4,
  mfu: 0.123,
  deviceHours: 0.01,
  stepSeconds: 0.2,
});

function sink() {
  const out = { text: '', write: (s: string) => ((out.text += s), true) };
  return out;
}

describe('progress display', () => {
  it('formats step/total, loss, lr, tokens/s, MFU and ETA', () => {
    expect(formatStep(step(7), 90)).toBe('step   7/100 | loss 2.5000 | lr 1.00e-3 | 5,432 tok/s | mfu 12.3% | ETA 1m30s');
    expect(formatDuration(3 * 3600 + 125)).toBe('3h02m');
  });

  it('on a terminal rewrites one line in place, then ends it', () => {
    const out = sink();
    const p = new ProgressDisplay(out, { tty: true });
    p.step(step(1));
    p.note('eval step 1');
    p.step(step(100));
    p.end();
    expect(out.text.startsWith('\r\x1b[2Kstep   1/100')).toBe(true);
    expect(out.text).toContain('\r\x1b[2Keval step 1\n');
    expect(out.text.endsWith('\n')).toBe(true);
  });

  it('elsewhere prints plain lines, at most one per period, and always the last step', () => {
    const out = sink();
    const p = new ProgressDisplay(out, { tty: false, plainEverySec: 3600 });
    for (let i = 1; i <= 100; i++) p.step(step(i));
    const lines = out.text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^step {3}1\/100/);
    expect(lines[1]).toMatch(/^step 100\/100/);
    expect(out.text).not.toContain('\r');
  });

  it('times the ETA from the first step of each run, so start-up and a new bench run do not skew it', () => {
    const out = sink();
    let ms = 0;
    const p = new ProgressDisplay(out, { tty: false, plainEverySec: 0, clock: () => ms });
    ms = 60_000; // a minute of start-up and a slow first step
    p.step(step(1));
    ms += 1000; // then 1 s per step
    p.step(step(2));
    const lines = () => out.text.trim().split('\n');
    expect(lines()[0]).not.toContain('ETA');
    expect(lines()[1]).toContain('ETA 1m38s'); // 98 steps left at 1 s each
    ms += 5000; // the next run of a benchmark starts over at step 1, here at 2 s per step
    p.step(step(1, 10));
    ms += 2000;
    p.step(step(2, 10));
    expect(lines()[3]).toContain('ETA 16s');
  });
});

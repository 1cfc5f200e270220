// Progress of a prepare run: bytes read, tokens written, rates and ETA, throttled for display.
// Not a renderer: the CLI draws it on a terminal; libraries just receive the numbers.

export type PreparePhase = 'train-tokenizer' | 'tokenize' | 'split' | 'done';

export interface PrepareProgress {
  phase: PreparePhase;
  bytesDone: number;
  bytesTotal: number;
  tokens: number;
  documents: number;
  elapsedMs: number;
  /** Rates over the last few seconds (over the whole run when phase is 'done'). */
  bytesPerSec: number;
  tokensPerSec: number;
  /** Seconds left at the current rate; null before any progress. */
  etaSec: number | null;
}

const WINDOW_MS = 5000;

export class ProgressMeter {
  bytesDone = 0;
  tokens = 0;
  documents = 0;
  private phaseStart = performance.now();
  private lastEmitMs = 0;
  /** Recent (time, bytes, tokens) samples: rates and ETA use the last few seconds, not the whole phase. */
  private history: Array<{ ms: number; bytes: number; tokens: number }> = [];

  constructor(
    private phase: PreparePhase,
    private bytesTotal: number,
    private readonly onProgress: ((p: PrepareProgress) => void) | undefined,
    private readonly intervalMs = 250,
  ) {}

  startPhase(phase: PreparePhase, bytesTotal: number): void {
    if (this.bytesDone > 0) this.emit(true);
    this.history = [];
    this.phase = phase;
    this.bytesTotal = bytesTotal;
    this.bytesDone = 0;
    this.tokens = 0;
    this.phaseStart = performance.now();
  }

  /** The last report: phase 'done' with the run's totals. */
  finish(totals: { bytes: number; tokens: number; documents: number; elapsedMs: number }): void {
    this.phase = 'done';
    this.bytesDone = this.bytesTotal = totals.bytes;
    this.tokens = totals.tokens;
    this.documents = totals.documents;
    this.phaseStart = performance.now() - totals.elapsedMs;
    this.emit(true);
  }

  snapshot(): PrepareProgress {
    const now = performance.now();
    const elapsedMs = now - this.phaseStart;
    let base = { ms: this.phaseStart, bytes: 0, tokens: 0 };
    if (this.phase !== 'done') {
      this.history.push({ ms: now, bytes: this.bytesDone, tokens: this.tokens });
      while (this.history.length > 2 && now - this.history[1]!.ms > WINDOW_MS) this.history.shift();
      if (now - this.history[0]!.ms > 1000) base = this.history[0]!;
    }
    const sec = Math.max((now - base.ms) / 1000, 1e-9);
    const bytesPerSec = (this.bytesDone - base.bytes) / sec;
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    return {
      phase: this.phase,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      tokens: this.tokens,
      documents: this.documents,
      elapsedMs,
      bytesPerSec,
      tokensPerSec: (this.tokens - base.tokens) / sec,
      etaSec: bytesPerSec > 0 ? left / bytesPerSec : null,
    };
  }

  /** Calls the callback at most every intervalMs unless forced. */
  emit(force = false): void {
    if (!this.onProgress) return;
    const now = performance.now();
    if (!force && now - this.lastEmitMs < this.intervalMs) return;
    this.lastEmitMs = now;
    this.onProgress(this.snapshot());
  }
}

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
  bytesPerSec: number;
  tokensPerSec: number;
  /** Seconds left at the current rate; null before any progress. */
  etaSec: number | null;
}

export class ProgressMeter {
  bytesDone = 0;
  tokens = 0;
  documents = 0;
  private phaseStart = performance.now();
  private lastEmitMs = 0;

  constructor(
    private phase: PreparePhase,
    private bytesTotal: number,
    private readonly onProgress: ((p: PrepareProgress) => void) | undefined,
    private readonly intervalMs = 250,
  ) {}

  startPhase(phase: PreparePhase, bytesTotal: number): void {
    this.emit(true);
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
    const elapsedMs = performance.now() - this.phaseStart;
    const sec = Math.max(elapsedMs / 1000, 1e-9);
    const bytesPerSec = this.bytesDone / sec;
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    return {
      phase: this.phase,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      tokens: this.tokens,
      documents: this.documents,
      elapsedMs,
      bytesPerSec,
      tokensPerSec: this.tokens / sec,
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

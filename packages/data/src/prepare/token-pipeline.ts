// The ordered middle of prepare: groups document pieces into jobs, tokenizes them on the pool with
// a bounded number in flight, and appends ids (plus end-of-text after each document) to the split
// writers in corpus order. Not a reader of files and not a writer of meta.json.

import type { ArrowTokenWriter } from '../dataset/arrow-token-writer.js';
import type { SplitName } from '../dataset/token-split.js';
import type { TokenizePool } from './tokenize-pool.js';

interface PieceMeta {
  split: SplitName;
  end: boolean;
}

interface Job {
  result: Promise<Int32Array[]>;
  pieces: PieceMeta[];
}

/** Characters of text per job sent to a worker. */
const JOB_CHARS = 1 << 18;

export class TokenPipeline {
  readonly documents: Record<SplitName, number> = { train: 0, val: 0 };
  private texts: string[] = [];
  private pieces: PieceMeta[] = [];
  private chars = 0;
  private readonly inFlight: Job[] = [];
  private readonly eot: Int32Array;

  constructor(
    private readonly pool: TokenizePool,
    private readonly writers: Record<SplitName, ArrowTokenWriter>,
    eotId: number,
    private readonly onTokens: (n: number, docs: number) => void,
    private readonly maxInFlight = Math.max(2, pool.workers * 2),
  ) {
    this.eot = Int32Array.of(eotId);
  }

  /** Queues a piece of a document; `end` closes the document with end-of-text. */
  async add(text: string, split: SplitName, end: boolean): Promise<void> {
    this.texts.push(text);
    this.pieces.push({ split, end });
    this.chars += text.length;
    if (this.chars >= JOB_CHARS) await this.submit();
  }

  /** Tokenizes and writes everything queued. */
  async flush(): Promise<void> {
    await this.submit();
    while (this.inFlight.length > 0) await this.writeOldest();
  }

  /** Waits for in-flight jobs without writing them (after an error). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.inFlight.map((j) => j.result));
    this.inFlight.length = 0;
  }

  private async submit(): Promise<void> {
    if (this.texts.length === 0) return;
    const job: Job = { result: this.pool.run(this.texts), pieces: this.pieces };
    job.result.catch(() => undefined); // observed later by writeOldest
    this.inFlight.push(job);
    this.texts = [];
    this.pieces = [];
    this.chars = 0;
    while (this.inFlight.length >= this.maxInFlight) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const job = this.inFlight.shift()!;
    const ids = await job.result;
    let tokens = 0;
    let docs = 0;
    for (let i = 0; i < ids.length; i++) {
      const meta = job.pieces[i]!;
      const writer = this.writers[meta.split];
      await writer.append(ids[i]!);
      tokens += ids[i]!.length;
      if (meta.end) {
        await writer.append(this.eot);
        this.documents[meta.split]++;
        tokens++;
        docs++;
      }
    }
    this.onTokens(tokens, docs);
  }
}

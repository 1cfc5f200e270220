// Encodes batches of texts on worker threads (or inline), returning results in submission order.
// Not an ordering queue for the caller: each run() promise resolves with its own batch's ids.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export interface TokenizePool {
  readonly workers: number;
  run(texts: string[]): Promise<Int32Array[]>;
  close(): Promise<void>;
}

/** Tokenizes on the calling thread (small corpora, or when workers are not wanted). */
export function inlinePool(tokenizer: Tokenizer): TokenizePool {
  return {
    workers: 0,
    run: async (texts) => texts.map((t) => Int32Array.from(tokenizer.encode(t))),
    close: async () => undefined,
  };
}

/**
 * The worker script: built JS next to this file, or (running from TypeScript sources, as in tests)
 * a small ESM snippet that registers tsx's loader and then imports the .ts entry.
 */
function workerEntry(): { script: string | URL; eval: boolean; execArgv: string[] } {
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./tokenize-worker.js', import.meta.url), eval: false, execArgv: [] };
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./tokenize-worker.ts', import.meta.url).href;
  return {
    script: `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry)});`,
    eval: true,
    execArgv: [`--conditions=${sourceCondition()}`],
  };
}

/** The export condition that points the workspace packages at src/ (the scoped key of package.json's
 * `exports['.']`), read from the file so that built code names no development-only condition. */
function sourceCondition(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, object> };
  const condition = Object.keys(pkg.exports['.'] ?? {}).find((k) => k.startsWith('@'));
  if (!condition) throw new Error('packages/data/package.json names no source export condition; running from sources needs it');
  return condition;
}

interface Pending {
  resolve: (ids: Int32Array[]) => void;
  reject: (e: Error) => void;
}

interface Reply {
  id?: number;
  ids?: Int32Array[];
  error?: string;
  ready?: boolean;
}

/** A pool of workers; each keeps a count of its jobs in flight and gets the next job when least loaded. */
class WorkerPool implements TokenizePool {
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];
  private nextId = 0;
  private failure: Error | null = null;

  constructor(private readonly threads: Worker[]) {
    this.load = threads.map(() => 0);
    threads.forEach((w, i) => {
      w.on('message', (m: Reply) => m.id !== undefined && this.reply(i, m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => code !== 0 && this.fail(new Error(`tokenizer worker exited with code ${code}`)));
    });
  }

  get workers(): number {
    return this.threads.length;
  }

  private reply(worker: number, m: Reply): void {
    this.load[worker]!--;
    const p = this.pending.get(m.id!);
    this.pending.delete(m.id!);
    if (m.error) p?.reject(new Error(`tokenizer worker: ${m.error}`));
    else p?.resolve(m.ids!);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  run(texts: string[]): Promise<Int32Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    const i = this.load.indexOf(Math.min(...this.load));
    this.load[i]!++;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.threads[i]!.postMessage({ id, texts });
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('tokenizer pool closed');
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}

/** Resolves once the worker has loaded its tokenizer; rejects with the worker's reason otherwise. */
function ready(w: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    w.once('message', (m: Reply) => (m.ready ? resolve() : reject(new Error(`tokenizer worker: ${m.error}`))));
    w.once('error', reject);
  });
}

/** Starts `count` workers that each load the tokenizer from `source` (a spec or a tokenizer.json path). */
export async function workerPool(source: string, count: number): Promise<TokenizePool> {
  const entry = workerEntry();
  const options = { workerData: { source }, eval: entry.eval, execArgv: entry.execArgv };
  const threads = Array.from({ length: count }, () => new Worker(entry.script, options));
  const pool = new WorkerPool(threads);
  try {
    await Promise.all(threads.map(ready));
  } catch (e) {
    await pool.close();
    throw e;
  }
  return pool;
}

// Encodes batches of texts on worker threads (or inline), returning results in submission order.
// Not an ordering queue for the caller: each run() promise resolves with its own batch's ids.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Tokenizer } from './tokenizer.js';

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
function workerEntry(): { script: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./tokenize-worker.js', import.meta.url), eval: false };
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./tokenize-worker.ts', import.meta.url).href;
  return { script: `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry)});`, eval: true };
}

interface Pending {
  resolve: (ids: Int32Array[]) => void;
  reject: (e: Error) => void;
}

/** Starts `count` workers that each load the tokenizer from `source` (a spec or a tokenizer.json path). */
export async function workerPool(source: string, count: number): Promise<TokenizePool> {
  const entry = workerEntry();
  const options = { workerData: { source }, eval: entry.eval, execArgv: entry.eval ? ['--conditions=@hyperclone/source'] : [] };
  const workers = Array.from({ length: count }, () => new Worker(entry.script, options));
  const pending = new Map<number, Pending>();
  const load: number[] = workers.map(() => 0);
  let nextId = 0;
  let failure: Error | null = null;
  const fail = (e: Error): void => {
    failure ??= e;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  await Promise.all(
    workers.map(
      (w, i) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', (m: { ready: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(`tokenizer worker: ${m.error}`))));
          w.once('error', reject);
          w.on('message', (m: { id?: number; ids?: Int32Array[]; error?: string }) => {
            if (m.id === undefined) return;
            load[i]!--;
            const p = pending.get(m.id);
            pending.delete(m.id);
            if (m.error) p?.reject(new Error(`tokenizer worker: ${m.error}`));
            else p?.resolve(m.ids!);
          });
          w.on('error', (e) => fail(e));
          w.on('exit', (code) => code !== 0 && fail(new Error(`tokenizer worker exited with code ${code}`)));
        }),
    ),
  ).catch(async (e: unknown) => {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  });
  return {
    workers: count,
    run(texts) {
      if (failure) return Promise.reject(failure);
      const i = load.indexOf(Math.min(...load));
      load[i]!++;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workers[i]!.postMessage({ id, texts });
      });
    },
    async close() {
      failure ??= new Error('tokenizer pool closed');
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

// Worker-thread entry: loads a tokenizer once, then encodes batches of texts sent by tokenize-pool.ts.
// Not for direct use; runs as a worker from built JS, or from source through tsx.

import { parentPort, workerData } from 'node:worker_threads';
import { loadTokenizer } from '../tokenizers/load-tokenizer.js';

interface Job {
  id: number;
  texts: string[];
}

const port = parentPort;
if (!port) throw new Error('tokenize-worker.ts runs as a worker thread only');

loadTokenizer((workerData as { source: string }).source).then(
  (tokenizer) => {
    port.on('message', (job: Job) => {
      try {
        const ids = job.texts.map((t) => Int32Array.from(tokenizer.encode(t)));
        port.postMessage(
          { id: job.id, ids },
          ids.map((a) => a.buffer),
        );
      } catch (e) {
        port.postMessage({ id: job.id, error: (e as Error).message });
      }
    });
    port.postMessage({ ready: true });
  },
  (e: unknown) => port.postMessage({ ready: false, error: (e as Error).message }),
);

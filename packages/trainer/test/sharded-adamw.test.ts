// ZeRO's sharded AdamW on 2 real processes (Gloo): each rank's moments take half the table bytes of AdamW's
// (measured), stage 1 and 2 update the parameters to AdamW's bits, and the state gathers to AdamW's and loads
// from it. Not the training loop (packages/cli/test/zero-train.test.ts runs ZeRO end to end).

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';

const WORKER = join(import.meta.dirname, 'zero/sharded-worker.ts');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function runRanks(): Promise<{ code: number | null; stderr: string; result: Record<string, unknown> | null }[]> {
  const port = await freePort();
  return Promise.all(
    [0, 1].map(
      (rank) =>
        new Promise<{ code: number | null; stderr: string; result: Record<string, unknown> | null }>((resolve, reject) => {
          const child = spawn(process.execPath, ['--conditions=@hyperclone/source', '--import', 'tsx', WORKER], {
            env: { ...process.env, RANK: String(rank), MASTER_PORT: String(port) },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += String(d)));
          child.stderr.on('data', (d) => (stderr += String(d)));
          child.on('error', reject);
          child.on('close', (code) => {
            const last = stdout.trim().split('\n').filter(Boolean).at(-1);
            resolve({ code, stderr, result: last ? (JSON.parse(last) as Record<string, unknown>) : null });
          });
        }),
    ),
  );
}

describeTorch('ShardedAdamW (ZeRO-1 and -2) on 2 processes', () => {
  it('halves the moments per rank (measured), updates to AdamW bit for bit, and saves and loads AdamW state', async () => {
    const ranks = await runRanks();
    for (const r of ranks) expect(r.code, r.stderr).toBe(0);
    const [zero, one] = ranks.map((r) => r.result!);
    // AdamW holds two weight-sized moments; each of 2 ranks half of that, give or take the bucket padding
    expect(zero!['adamwBytes']).toBe(2 * (zero!['weightBytes'] as number));
    for (const r of [zero!, one!]) {
      const ratio = (r['shardedBytes'] as number) / (r['adamwBytes'] as number);
      expect(ratio).toBeGreaterThan(0.49);
      expect(ratio).toBeLessThan(0.51);
      for (const stage of [1, 2]) {
        expect(r[`stage${stage}SameParams`], `stage ${stage} parameters`).toBe(true);
        expect(r[`stage${stage}SameState`], `stage ${stage} gathered state`).toBe(true);
        expect(r[`stage${stage}Reloaded`], `stage ${stage} reloaded state`).toBe(true);
      }
      expect(r['refused']).toMatch(/^optimizer state in the saved state has no "m\.tok_emb\.weight": it was saved for a different model$/);
    }
    expect((zero!['shardedBytes'] as number) + (one!['shardedBytes'] as number)).toBe(zero!['adamwBytes']); // the shards cover it once
  });
});

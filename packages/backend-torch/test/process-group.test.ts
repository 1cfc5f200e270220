// c10d through the addon: two real OS processes form a Gloo group and check all-reduce, broadcast, reduce-scatter,
// all-gather, barrier and the store exactly, a timeout, and a peer killed with SIGKILL. Not training (the trainer's tests).

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { shardLayout } from '@hyperclone/core';
import { expect, it } from 'vitest';
import { createProcessGroup, createTorchBackend, distributedSupport } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

const WORKER = join(import.meta.dirname, 'group-worker.ts');

interface RankResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  result: Record<string, unknown> | null;
  stderr: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function runRanks(scenario: string, env: Record<string, string> = {}): Promise<RankResult[]> {
  const port = await freePort();
  return Promise.all(
    [0, 1].map(
      (rank) =>
        new Promise<RankResult>((resolve, reject) => {
          const child = spawn(process.execPath, ['--conditions=@hyperclone/source', '--import', 'tsx', WORKER], {
            env: { ...process.env, ...env, RANK: String(rank), WORLD_SIZE: '2', MASTER_PORT: String(port), SCENARIO: scenario },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += String(d)));
          child.stderr.on('data', (d) => (stderr += String(d)));
          child.on('error', reject);
          child.on('close', (code, signal) => {
            const last = stdout.trim().split('\n').filter(Boolean).at(-1);
            resolve({ code, signal, result: last ? (JSON.parse(last) as Record<string, unknown>) : null, stderr });
          });
        }),
    ),
  );
}

describeTorch('c10d process group (Gloo, 2 processes)', () => {
  it('this build has c10d with Gloo', () => {
    expect(distributedSupport()).toMatchObject({ c10d: true, gloo: true });
  });

  it('all-reduces (sum, avg, max; float and int; several buckets), broadcasts and shares the store exactly', async () => {
    const ranks = await runRanks('collectives');
    for (const r of ranks) expect(r.code, r.stderr).toBe(0);
    const [a, b] = ranks.map((r) => r.result!);
    // rank r held (r + 1) * v with v = [1 + 10k, 2 + 10k, ...] for tensor k
    const v = [6, 5, 1, 16].map((n, k) => Array.from({ length: n }, (_, i) => i + 1 + 10 * k));
    for (const r of [a!, b!]) {
      expect(r['inputsUnchanged']).toBe(true);
      expect(r['sum']).toEqual(v.map((xs) => xs.map((x) => 3 * x)));
      expect(r['sumShapes']).toEqual([[2, 3], [5], [1], [4, 4]]);
      expect(r['avg']).toEqual(v.map((xs) => xs.map((x) => 1.5 * x)));
      expect(r['max']).toEqual([...v.map((xs) => xs.map((x) => 2 * x)), [1, 7, 0]]);
      expect(r['intSum']).toEqual([1, 7, -1]);
      expect(r['broadcast']).toEqual([1, 1.5, -1, 100]); // rank 1's values on both
      expect(r['greeting']).toBe('from rank 0');
      expect(r['counter']).toBe(3);
      expect(r['hasMissing']).toBe(false);
    }
  });

  it("reduce-scatters (sum, avg) into each rank's shard of the layout and all-gathers the shards back, exactly", async () => {
    const ranks = await runRanks('sharded');
    for (const r of ranks) expect(r.code, r.stderr).toBe(0);
    const v = [6, 5, 1, 16].map((n, k) => Array.from({ length: n }, (_, i) => i + 1 + 10 * k));
    // buckets [t0, t1], [t2], [t3] (11, 1 and 16 elements): pieces of 6, 1 and 8 per rank
    const buckets = [[...v[0]!, ...v[1]!], v[2]!, v[3]!];
    const shardOf = (rank: number, scale: number) =>
      buckets.flatMap((flat) => {
        const piece = Math.ceil(flat.length / 2);
        const mine = flat.slice(rank * piece, (rank + 1) * piece).map((x) => scale * x);
        return [...mine, ...Array<number>(piece - mine.length).fill(0)]; // the last rank's piece is padded
      });
    ranks.forEach((r, rank) => {
      const got = r.result!;
      expect(got['inputsUnchanged']).toBe(true);
      expect((got['layout'] as { bucketCounts: number[] }).bucketCounts).toEqual([2, 1, 1]);
      expect(got['sum']).toEqual(shardOf(rank, 3));
      expect(got['avg']).toEqual(shardOf(rank, 1.5));
      expect(got['gathered']).toEqual(v.map((xs) => xs.map((x) => 1.5 * x)));
      expect(got['gatheredShapes']).toEqual([[2, 3], [5], [1], [4, 4]]);
      expect(got['refused']).toMatch(
        /^c10d gloo allGather failed on rank \d of 2: the shard holds 3 elements but this layout gives each rank 15$/,
      );
    });
  });

  it('a collective that a peer never joins times out with an error naming the rank', async () => {
    const [zero, one] = await runRanks('silent-peer', { TIMEOUT_MS: '2000' });
    expect(one!.code, one!.stderr).toBe(0);
    const r = zero!.result!;
    expect(r['error']).toMatch(/^c10d gloo barrier failed on rank 0 of 2 \(timeout 2\.0 s\): .*timed out/i);
    expect(r['elapsedMs']).toBeGreaterThanOrEqual(1900);
    expect(r['again']).toMatch(/rank 0 of 2: the group failed earlier/);
  });

  it('a peer killed with SIGKILL makes the survivor throw within seconds (not at the timeout), naming the rank', async () => {
    const [zero, one] = await runRanks('peer-dies', { TIMEOUT_MS: '120000' });
    expect(one!.signal).toBe('SIGKILL');
    expect(zero!.code).toBe(0);
    const r = zero!.result!;
    expect(r['error']).toMatch(/^c10d gloo allReduce failed on rank 0 of 2 .*(closed|reset|peer)/i);
    expect(r['elapsedMs']).toBeLessThan(20_000); // the timeout was 120 s: the dead socket was noticed
  });

  it('refuses bad options in one line before touching the network', async () => {
    const b = await createTorchBackend({ threads: 1 });
    const base = { rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 1 };
    expect(() => createProcessGroup(b, { ...base, rank: 2 })).toThrow('rank must be an integer in [0, 1] (got 2)');
    expect(() => createProcessGroup(b, { ...base, masterPort: 70000 })).toThrow('masterPort must be a port number');
    expect(() => createProcessGroup(b, { ...base, engine: 'nccl' })).toThrow('the nccl engine needs a CUDA backend');
    b.close();
  });

  it('a port already in use is reported by rank 0 with the address', async () => {
    const b = await createTorchBackend({ threads: 1 });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(() => createProcessGroup(b, { rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 2000 })).toThrow(
        new RegExp(`rank 0 of 2 failed serving the TCPStore at 127\\.0\\.0\\.1:${port}: .*in use`),
      );
    } finally {
      server.close();
      b.close();
    }
  });

  it('a world of one needs no peer: every collective returns its input', async () => {
    const b = await createTorchBackend({ threads: 1 });
    const group = createProcessGroup(b, { rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: 0 });
    const x = b.fromHost({ dtype: 'float32', shape: [3], data: Float32Array.of(1, 2, 3) });
    const [y] = group.allReduce([x], 'avg');
    expect(Array.from(b.toHost(y!).data)).toEqual([1, 2, 3]);
    const layout = shardLayout([3], 1, 0);
    const shard = group.reduceScatter([x], 'avg', layout);
    expect(Array.from(b.toHost(shard).data)).toEqual([1, 2, 3]);
    const into = b.fromHost({ dtype: 'float32', shape: [3], data: new Float32Array(3) });
    group.allGather(shard, [into], layout);
    expect(Array.from(b.toHost(into).data)).toEqual([1, 2, 3]);
    expect(group.port).toBeGreaterThan(0);
    group.barrier();
    group.close();
    b.close();
  });
});

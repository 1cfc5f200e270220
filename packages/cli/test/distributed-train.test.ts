// `hyperclone train` on 2 processes (Gloo, 1 thread each): --nproc 2 and a torchrun-style launch by
// environment give the 1-process loss trace, resume 2 -> 1 and 1 -> 2 continue it, kill -9 of a rank and
// Ctrl-C end the run as promised, bad input is one line, and the benchmark on 2 processes trains, reuses and
// refuses as on one. Not the c10d binding (backend-torch's tests).

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '@hyperclone/core';
import { afterAll, expect, it } from 'vitest';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';
import { hyperclone } from './run-cli.js';
import { latestCheckpoint, ok, shakespeareData, torchTrain, trace, type TraceRow } from './train-runs.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-dist-'));
const data = shakespeareData(root);

/** Launchers of the long runs: killed at the end if a failed test left one (its workers follow it). */
const started: number[] = [];
afterAll(() => started.filter(alive).forEach((pid) => process.kill(pid, 'SIGKILL')));

/** 20 steps from seed 3, the traces compared here; `extra` after them. */
const run = (out: string, extra: string[] = []) => torchTrain(data, out, ['--steps', '20', '--seed', '3', ...extra]);

function expectSameTrace(got: TraceRow[], want: TraceRow[]): void {
  expect(got.map((r) => r.step)).toEqual(want.map((r) => r.step));
  const worst = Math.max(...got.map((r, i) => Math.max(Math.abs(r.loss - want[i]!.loss), Math.abs(r.gradNorm - want[i]!.gradNorm))));
  expect(worst).toBeLessThan(1e-5);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Calls fn every 200 ms until it returns true (or fails after limitMs). */
async function until(fn: () => boolean, limitMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!fn()) {
    if (Date.now() - start > limitMs) throw new Error(`waited ${limitMs} ms in vain`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The launcher's worker of a rank, from /proc (Linux). */
function rankPid(launcher: number, rank: number): number {
  const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const pid = children.find((p) => readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`));
  if (pid === undefined) throw new Error(`no worker of rank ${rank} under ${launcher}`);
  return pid;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

describeTorch('hyperclone train on 2 processes (Gloo)', () => {
  for (const accum of [1, 2]) {
    it(`--nproc 2 gives the 1-process loss trace within 1e-5 over 20 steps (grad-accum ${accum})`, async () => {
      const one = join(root, `one-a${accum}`);
      const two = join(root, `two-a${accum}`);
      ok(await hyperclone(run(one, ['--grad-accum', String(accum)])));
      const r = await hyperclone(run(two, ['--grad-accum', String(accum), '--nproc', '2']));
      ok(r);
      expectSameTrace(trace(two), trace(one));
      const summary = JSON.parse(readFileSync(join(two, 'summary.json'), 'utf8')) as { device: { count: number }; steps: number };
      expect(summary.device.count).toBe(2);
      expect(summary.steps).toBe(20);
      expect(r.stdout).toContain('step 20/20');
    });
  }

  it('a launch by the torchrun variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) gives the same trace', async () => {
    const one = join(root, 'one-a1');
    const env = join(root, 'env');
    const port = String(await freePort());
    const ranks = await Promise.all(
      [0, 1].map((rank) =>
        hyperclone(run(env), undefined, {
          RANK: String(rank),
          LOCAL_RANK: String(rank),
          WORLD_SIZE: '2',
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: port,
        }),
      ),
    );
    ranks.forEach(ok);
    expect(ranks[1]!.stdout).toBe(''); // rank 0 alone reports
    expectSameTrace(trace(env), trace(one));
  });

  it('resumes 2 -> 1 and 1 -> 2 processes on the uninterrupted trace', async () => {
    const straight = trace(join(root, 'one-a2'));
    const a = join(root, 'two-then-one');
    ok(await hyperclone(run(a, ['--grad-accum', '2', '--nproc', '2', '--stop-after', '10'])));
    ok(await hyperclone(['train', '--out', a, '--resume', '--threads', '1']));
    expectSameTrace(trace(a), straight);
    const b = join(root, 'one-then-two');
    ok(await hyperclone(run(b, ['--grad-accum', '2', '--stop-after', '10'])));
    ok(await hyperclone(['train', '--out', b, '--resume', '--threads', '1', '--nproc', '2']));
    expectSameTrace(trace(b), straight);
  });

  it('kill -9 of one rank ends the run within 30 s, non-zero, naming the rank; the last checkpoint loads', async () => {
    const out = join(root, 'killed');
    let launcher = 0;
    let killedAtMs = 0;
    let survivor = 0;
    const args = run(out, ['--nproc', '2', '--steps', '100000', '--checkpoint-every', '5', '--eval-every', '100000']);
    const result = hyperclone(args, (pid) => started.push((launcher = pid)));
    await until(() => existsSync(join(out, 'checkpoints')) && readdirSync(join(out, 'checkpoints')).length > 0);
    survivor = rankPid(launcher, 0);
    process.kill(rankPid(launcher, 1), 'SIGKILL');
    killedAtMs = Date.now();
    const r = await result;
    expect(Date.now() - killedAtMs).toBeLessThan(30_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('hyperclone: error: rank 1 of 2 was killed by SIGKILL; the other ranks were stopped');
    expect(alive(survivor)).toBe(false);
    const ckpt = await loadCheckpoint(latestCheckpoint(out));
    expect(ckpt.weights.size).toBeGreaterThan(0);
  });

  it('Ctrl-C (SIGINT to the launcher) reaches every rank: exactly one checkpoint, exit 130', async () => {
    const out = join(root, 'interrupted');
    let launcher = 0;
    const result = hyperclone(run(out, ['--nproc', '2', '--steps', '100000', '--eval-every', '100000']), (pid) =>
      started.push((launcher = pid)),
    );
    await until(() => existsSync(join(out, 'metrics.jsonl')) && trace(out).length >= 3);
    const ranks = [rankPid(launcher, 0), rankPid(launcher, 1)];
    process.kill(launcher, 'SIGINT');
    const r = await result;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted after step (\d+); continue with/);
    expect(readdirSync(join(out, 'checkpoints'))).toHaveLength(1);
    expect(ranks.filter(alive)).toEqual([]);
  });

  it('bench --nproc 2 trains each run once, a second call reuses every run, a folder of something else is one line', async () => {
    const bench = (out: string) => [
      ...['bench', 'clone-vs-random', '--data', data, '--out', out, '--small', 'tiny', '--width', '2', '--seeds', '1'],
      ...['--small-steps', '4', '--budget', '4', '--eval-every', '2', '--eval-windows', '2', '--batch-size', '4', '--seq-len', '32'],
      ...['--backend', 'torch', '--threads', '1', '--nproc', '2'],
    ];
    const out = join(root, 'bench');
    const first = await hyperclone(bench(out));
    ok(first);
    const runs = ['small', ...['random', 'clone-noisy-symmetric', 'stages'].map((arm) => join('runs', `${arm}-seed0`))];
    const finished = () => runs.map((dir) => statSync(join(out, dir, 'summary.json')).mtimeMs);
    const before = finished();
    const again = await hyperclone(bench(out));
    ok(again);
    expect(finished()).toEqual(before);
    expect(readFileSync(join(out, 'bench.log'), 'utf8').match(/reusing the finished run/g)).toHaveLength(4);
    const table = (stdout: string) => stdout.slice(stdout.indexOf('counting every phase'));
    expect(table(again.stdout)).toBe(table(first.stdout));

    const other = join(root, 'not-a-bench');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine\n');
    const refused = await hyperclone(bench(other));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n'), refused.stderr).toEqual([
      `hyperclone: error: ${other} is not empty and holds no benchmark (no bench.json); choose a new or empty folder`,
    ]);
    expect(readdirSync(other)).toEqual(['notes.txt']);
  });

  it('bad input is one line and leaves nothing behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as { port: number }).port;
    const out = join(root, 'never');
    try {
      const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
        [run(out, ['--nproc', '0']), {}, /--nproc must be an integer >= 1 \(got "0"\)/],
        [run(out, ['--nproc', '2', '--batch-size', '3']), {}, /batchSize 3 \(the global micro-batch\) does not divide among 2 processes/],
        [run(out, ['--nproc', '2', '--master-port', String(port)]), {}, new RegExp(`port ${port} is already in use`)],
        [
          run(out),
          { RANK: '0', WORLD_SIZE: '2' },
          /the torchrun environment is incomplete: RANK, WORLD_SIZE are set but MASTER_ADDR, MASTER_PORT are not/,
        ],
        [
          [...run(out, ['--nproc', '2']), '--backend', 'tfjs'],
          {},
          /the tfjs backend trains in one process; --nproc 2 needs --backend torch/,
        ],
      ];
      for (const [args, env, reason] of cases) {
        const r = await hyperclone(args, undefined, env);
        expect(r.code, r.stderr).not.toBe(0);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toMatch(reason);
        expect(existsSync(out)).toBe(false);
      }
    } finally {
      taken.close();
    }
  });
});

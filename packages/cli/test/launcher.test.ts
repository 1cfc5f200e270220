// The --nproc launcher with stand-in workers (fake-rank.mjs): the torchrun variables each rank gets,
// output relaying, a rank that dies, a bad input every rank refuses, Ctrl-C, SIGKILL after a grace, a port in use.
// Not training (distributed-train.test.ts runs real ranks).

import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { launchLocal } from '../src/launcher.js';

const FAKE = join(import.meta.dirname, 'fake-rank.mjs');

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function launch(modes: Record<number, string>, extra: { masterPort?: number; graceMs?: number; onStart?: () => void } = {}) {
  const out = sink();
  const err = sink();
  for (const k of Object.keys(process.env)) if (k.startsWith('FAKE_')) delete process.env[k];
  for (const [rank, mode] of Object.entries(modes)) process.env[`FAKE_${rank}`] = mode;
  process.env['FAKE_DIR'] = mkdtempSync(join(tmpdir(), 'hc-fake-rank-'));
  const started = launchLocal({ nproc: 2, argv: [], script: FAKE, execArgv: [], out: out.stream, err: err.stream, ...extra });
  extra.onStart?.();
  const code = await started;
  return { code, out: out.text(), err: err.text() };
}

describe('launchLocal (--nproc)', () => {
  it('gives each rank the torchrun variables and one free port; other ranks speak with a prefix', async () => {
    const r = await launch({});
    expect(r.code).toBe(0);
    const port = /rank 0 of 2 on port (\d+)/.exec(r.out)?.[1];
    expect(Number(port)).toBeGreaterThan(0);
    expect(r.out).toContain(`[rank 1] rank 1 of 2 on port ${port}`);
  });

  it('a rank killed by SIGKILL stops the others and is named with its last lines', async () => {
    const r = await launch({ 0: 'wait', 1: 'die' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^hyperclone: error: rank 1 of 2 was killed by SIGKILL; the other ranks were stopped\. Its last lines:\n  rank 1 of 2 on port \d+\n  about to die\n$/,
    );
    expect(r.out).toContain('rank 0 saw SIGTERM');
  });

  it('a rank that exits with an error is named with its error line', async () => {
    const r = await launch({ 0: 'wait', 1: 'fail' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('hyperclone: error: rank 1 of 2 exited with code 1; the other ranks were stopped. Its last lines:');
    expect(r.err).toContain('  hyperclone: error: something broke on rank 1');
  });

  it('the rank that failed on its own is named, not the one that exited first because its peer left', async () => {
    const r = await launch({ 0: 'peer-lost', 1: 'fail-later' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('hyperclone: error: rank 1 of 2 exited with code 1; the other ranks were stopped. Its last lines:');
    expect(r.err).toContain('  hyperclone: error: something broke on rank 1');
    expect(r.err).not.toContain('rank 0 of 2 exited');
  });

  it('a bad input every rank refuses alike is one line (rank 0 prints it) and keeps its exit code', async () => {
    const r = await launch({ 0: 'bad-input', 1: 'bad-input' });
    expect(r.code).toBe(2);
    expect(r.err).toBe('hyperclone: error: --batch-size 3 does not divide into 2 processes\n');
  });

  it('forwards SIGINT to every rank once and exits 130', async () => {
    const bothReady = () => [0, 1].every((r) => existsSync(join(process.env['FAKE_DIR']!, `ready-${r}`)));
    const sendWhenReady = () => (bothReady() ? process.emit('SIGINT', 'SIGINT') : setTimeout(sendWhenReady, 50));
    const r = await launch({ 0: 'wait', 1: 'wait' }, { onStart: sendWhenReady });
    expect(r.code).toBe(130);
    expect(r.out).toContain('rank 0 saw SIGINT');
    expect(r.out).toContain('[rank 1] rank 1 saw SIGINT');
  });

  it('a rank that ignores SIGTERM is killed after the grace period', async () => {
    const r = await launch({ 0: 'ignore-term', 1: 'die' }, { graceMs: 500 });
    expect(r.code).toBe(1);
    expect(r.err).toContain('rank 1 of 2 was killed by SIGKILL');
  });

  it('a --master-port in use is a one-line error before any rank starts', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, resolve));
    const { port } = server.address() as { port: number };
    try {
      await expect(launch({}, { masterPort: port })).rejects.toThrow(`port ${port} is already in use; give another --master-port`);
    } finally {
      server.close();
    }
  });
});

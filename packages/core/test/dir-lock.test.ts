// core's lockDir: one holder per directory, refusals naming the holder's PID, takeover of a dead
// holder's lock, release (also on process.exit), and plain reasons for unwritable outputs.
// Not the commands that take the lock (trainer, bench and data tests).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LockedError, lockDir, lockFileOf } from '../src/dir-lock.js';

// a read-only file system, injected: paths under a folder named `read-only` refuse writes with EROFS
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const erofs = (path: unknown): void => {
    if (String(path).includes('/read-only')) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
  };
  return {
    ...real,
    mkdirSync: (path: string, ...rest: [never]) => (erofs(path), real.mkdirSync(path, ...rest)),
    openSync: (path: string, ...rest: [never]) => (erofs(path), real.openSync(path, ...rest)),
  };
});

const root = mkdtempSync(join(tmpdir(), 'hc-lock-'));

describe('lockDir', () => {
  it('a second lock on the same directory is refused, naming the holder; release lets the next one in', () => {
    const dir = join(root, 'run-a');
    const lock = lockDir(dir, { command: 'train' });
    expect(lock.file).toBe(join(root, '.run-a.lock'));
    const holder = JSON.parse(readFileSync(lock.file, 'utf8')) as { pid: number; host: string; command: string; startedAt: string };
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), command: 'train' });
    expect(Date.parse(holder.startedAt)).toBeGreaterThan(0);
    let refused: unknown;
    try {
      lockDir(join(root, 'run-a/'), { command: 'bench', label: '--out run-a' });
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(LockedError);
    expect((refused as Error).message).toMatch(
      new RegExp(`^--out run-a is in use by PID ${process.pid} \\(this process\\) \\(hyperclone train, since `),
    );
    expect((refused as Error).message).not.toContain('\n');
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(lock.file)).toBe(false);
    lockDir(dir, { command: 'train' }).release();
  });

  it('a lock held by another live process is refused with its PID', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const dir = join(root, 'run-b');
      writeFileSync(
        lockFileOf(dir),
        JSON.stringify({ pid: child.pid, host: hostname(), startedAt: new Date().toISOString(), command: 'train', token: 'x' }),
      );
      expect(() => lockDir(dir, { command: 'train' })).toThrowError(new RegExp(`is in use by PID ${child.pid} \\(hyperclone train`));
    } finally {
      child.kill();
    }
  });

  it('a lock left by a dead process is taken over, with a message naming the dead PID', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    const dir = join(root, 'run-c');
    writeFileSync(
      lockFileOf(dir),
      JSON.stringify({ pid, host: hostname(), startedAt: '2020-01-01T00:00:00Z', command: 'train', token: 'y' }),
    );
    const told: string[] = [];
    const lock = lockDir(dir, { command: 'train', onTakeover: (m) => told.push(m) });
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`a lock left by PID ${pid} (train, no longer running)`);
    expect((JSON.parse(readFileSync(lock.file, 'utf8')) as { pid: number }).pid).toBe(process.pid);
    expect(existsSync(`${lock.file}.takeover`)).toBe(false);
    lock.release();
  });

  it('a lock of another host is refused with a hint to remove it by hand', () => {
    const dir = join(root, 'run-d');
    writeFileSync(lockFileOf(dir), JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 'x', command: 'bench', token: 'z' }));
    expect(() => lockDir(dir, { command: 'train' })).toThrowError(/in use by PID 1 on host elsewhere .*remove .*\.run-d\.lock/);
  });

  it('creates missing parents and removes them again on release when nothing was written', () => {
    const dir = join(root, 'deep/er/run');
    const lock = lockDir(dir, { command: 'prepare' });
    expect(existsSync(join(root, 'deep/er'))).toBe(true);
    lock.release();
    expect(existsSync(join(root, 'deep'))).toBe(false);
    const kept = lockDir(join(root, 'deep2/run'), { command: 'prepare' });
    mkdirSync(join(root, 'deep2/run'));
    kept.release();
    expect(existsSync(join(root, 'deep2/run'))).toBe(true);
  });

  it('a file as the directory, or as one of its parents, is refused in words', () => {
    writeFileSync(join(root, 'afile'), 'x');
    expect(() => lockDir(join(root, 'afile'), { command: 'train', label: '--out afile' })).toThrowError(
      /^--out afile is a file, not a directory; choose a directory path$/,
    );
    expect(() => lockDir(join(root, 'afile/run'), { command: 'train', label: '--out afile/run' })).toThrowError(
      /^--out afile\/run: .*afile is a file, not a directory$/,
    );
  });

  it('a read-only place is refused in words, not as a raw EROFS', () => {
    mkdirSync(join(root, 'ro'));
    expect(() => lockDir(join(root, 'ro/read-only/run'), { command: 'train', label: '--out run' })).toThrow(
      /^cannot write --out run: .*\/read-only is on a read-only file system; choose another place$/,
    );
    expect(existsSync(join(root, 'ro/read-only'))).toBe(false);
  });

  it('is released when the process exits through process.exit', () => {
    const dir = join(root, 'run-e');
    const script = `
      const { lockDir } = await import(${JSON.stringify(join(import.meta.dirname, '../src/dir-lock.ts'))});
      lockDir(${JSON.stringify(dir)}, { command: 'train' });
      process.exit(3);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(existsSync(lockFileOf(dir))).toBe(false);
  });
});

// `hyperclone watch`: its one-line refusals (no folder, a folder that is neither a run nor a benchmark,
// a port in use, a bad port) and what its server answers: the page, its script and its events only, on
// the loopback, to requests addressed to it. Not the page in a browser (watch-browser.test.ts).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_FORMAT, type StepEvent } from '@hyperclone/trainer';
import { tempDir } from '../../data/test/helpers.js';
import { CliError } from '../src/command.js';
import { watchCommand } from '../src/commands/watch.js';
import { openWatchedFolder, readRun } from '../src/watch/watched-folder.js';
import { thinned } from '../src/watch/watch-view.js';
import { startWatchServer, type WatchServer } from '../src/watch/watch-server.js';
import { hyperclone } from './run-cli.js';

const root = tempDir('hc-watch-cmd-');
const run = join(root, 'run');

/** A run folder as `hyperclone train` leaves it after two logged steps (no training here). */
function fakeRun(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ format: RUN_FORMAT, version: 1, steps: 10, seed: 0 }));
  const row = (step: number): StepEvent => ({
    step,
    totalSteps: 10,
    tokens: 64 * step,
    loss: 5 - step / 10,
    lr: 1e-3,
    gradNorm: 1,
    tokensPerSec: 100,
    mfu: null,
    deviceHours: step / 3600,
    stepSeconds: 1,
  });
  writeFileSync(join(dir, 'metrics.jsonl'), [row(1), row(2)].map((r) => JSON.stringify(r) + '\n').join(''));
}

/** GET path with a Host header of our choosing (fetch would not let us set it). */
function get(url: string, path: string, host?: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(() => fakeRun(run));

describe('hyperclone watch: bad input, one line each', () => {
  it('a folder that is neither a run nor a benchmark, in a child process: exit 1, one line', async () => {
    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'hello');
    const r = await hyperclone(['watch', run, other, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `hyperclone: error: ${other} is neither a training run (no hyperclone config.json) nor a benchmark (no bench.json); give the --out folder of \`hyperclone train\` or \`hyperclone bench\`\n`,
    );
  }, 60_000);

  it('a missing folder, a file, no folder, a bad port', async () => {
    await expect(watchCommand.run([join(root, 'nowhere')])).rejects.toThrow(
      `${join(root, 'nowhere')} does not exist; give the --out folder of a training run or of a benchmark`,
    );
    writeFileSync(join(root, 'file'), '');
    await expect(watchCommand.run([join(root, 'file')])).rejects.toThrow(`${join(root, 'file')} is a file, not a folder`);
    await expect(watchCommand.run([])).rejects.toSatisfy(
      (e: CliError) =>
        e instanceof CliError &&
        e.exitCode === 2 &&
        e.message.startsWith('give at least one run or benchmark folder\nusage: hyperclone watch'),
    );
    await expect(watchCommand.run([run, '--port', '70000'])).rejects.toThrow('--port must be an integer >= 0 and <= 65535 (got "70000")');
    await expect(watchCommand.run([run, '--bind', 'x'])).rejects.toThrow(/^Unknown option '--bind'/);
  });

  it('a port in use', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as AddressInfo).port;
    try {
      await expect(startWatchServer({ folders: [openWatchedFolder(run, 'run')], host: '127.0.0.1', port })).rejects.toThrow(
        `port ${port} on 127.0.0.1 is in use; choose another with --port P (--port 0 picks a free one)`,
      );
    } finally {
      taken.close();
    }
  });
});

describe("watch's server", () => {
  let server: WatchServer;
  beforeAll(async () => {
    server = await startWatchServer({ folders: [openWatchedFolder(run, 'run')], host: '127.0.0.1', port: 0, intervalMs: 100 });
  });
  afterAll(() => server.close());

  it('listens on the loopback and serves the page and its script', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(server.url, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/watch.js"></script>');
    expect((await get(server.url, '/watch.js')).body).toContain("new EventSource('/events')");
  });

  it('serves no file of the folder and nothing outside it, whatever the path asks for', async () => {
    for (const path of [
      '/metrics.jsonl',
      '/config.json',
      '/run/metrics.jsonl',
      '/../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '//etc/passwd',
      '/events/../config.json',
    ]) {
      const r = await get(server.url, path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain(RUN_FORMAT);
      expect(r.body).not.toContain('root:');
    }
  });

  it('answers only requests addressed to it (a page of another site cannot reach it under another name)', async () => {
    expect((await get(server.url, '/', 'attacker.example:80')).status).toBe(403);
    expect((await get(server.url, '/', `localhost:${new URL(server.url).port}`)).status).toBe(200);
  });

  it("streams the folder's state, and a new step once the run logs it", async () => {
    const u = new URL(server.url);
    const events: string[] = [];
    const req = request({ host: u.hostname, port: u.port, path: '/events' }, (res) => res.on('data', (d) => events.push(String(d))));
    req.end();
    await expect.poll(() => events.join(''), { timeout: 10_000 }).toContain('step <span class=\\"step\\">2</span> of 10');
    const row = {
      step: 3,
      totalSteps: 10,
      tokens: 192,
      loss: 4.7,
      lr: 1e-3,
      gradNorm: 1,
      tokensPerSec: 100,
      mfu: null,
      deviceHours: 0.001,
      stepSeconds: 1,
    };
    writeFileSync(join(run, 'metrics.jsonl'), JSON.stringify(row) + '\n', { flag: 'a' });
    await expect.poll(() => events.join(''), { timeout: 10_000 }).toContain('step <span class=\\"step\\">3</span> of 10');
    req.destroy();
  });
});

describe("watch's reading of a run", () => {
  it("reads a run as training only while a live process holds its lock (a killed run's stale lock does not count)", () => {
    const lock = join(root, '.run.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), command: 'train' }));
    expect(readRun(run, 'run').live).toBe(true);
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), command: 'train' })); // above Linux's pid_max
    expect(readRun(run, 'run').live).toBe(false);
    rmSync(lock);
    expect(readRun(run, 'run').live).toBe(false);
  });

  it('draws at most 1000 training-loss points a run: every k-th logged step, and always the last', () => {
    const rows = Array.from({ length: 2500 }, (_, i) => i + 1);
    const kept = thinned(rows, 1000);
    expect(kept.length).toBeLessThanOrEqual(1000);
    expect(kept.slice(0, 3)).toEqual([1, 4, 7]);
    expect(kept.at(-1)).toBe(2500);
    expect(thinned(rows.slice(0, 10), 1000)).toEqual(rows.slice(0, 10));
  });
});

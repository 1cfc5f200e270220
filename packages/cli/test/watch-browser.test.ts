// `hyperclone watch` in a real browser: a short benchmark trains in one process, watch serves its folder
// from another, and headless Chromium (playwright-core) shows the page: the runs appear, a new step
// arrives without a reload, the target line shows once the random arm is done, and the console stays clean.
// Not the server's refusals (watch-command.test.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { prepareDataset } from '@hyperclone/data';
import { tempDir } from '../../data/test/helpers.js';
import { launchChromium } from './chromium.js';
import { REPO } from './run-cli.js';

const root = tempDir('hc-watch-');
const bench = join(root, 'bench');
const children: ChildProcess[] = [];
let browser: BrowserContext | null = null;

function cli(args: string[]): ChildProcess & { output: () => string } {
  const child = spawn(
    process.execPath,
    ['--conditions=@hyperclone/source', '--import', 'tsx', join(REPO, 'packages/cli/src/main.ts'), ...args],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += String(d)));
  child.stderr!.on('data', (d) => (output += String(d)));
  children.push(child);
  return Object.assign(child, { output: () => output });
}

async function until<T>(what: string, probe: () => T | null | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

/** The sum of every run's shown step (grows as any run trains). */
const shownSteps = (page: Page): Promise<number> =>
  page.evaluate<number>("[...document.querySelectorAll('.step')].reduce((sum, el) => sum + Number(el.textContent), 0)");

afterAll(async () => {
  await browser?.close();
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map(exited));
});

describe('hyperclone watch in Chromium, on a benchmark while it trains', () => {
  let benchRun: ReturnType<typeof cli>;
  let watch: ReturnType<typeof cli>;
  let url: string;

  beforeAll(async () => {
    const data = join(root, 'data');
    await prepareDataset({ inputs: ['builtin:stories:0.25'], tokenizer: 'byte', out: data });
    // a constant rate keeps the runs short and their curves moving; one seed: the random arm, then one clone arm
    // (--stages none: not the staged recipe the bench races beside the clone by default)
    benchRun = cli([
      'bench', 'clone-vs-random', '--data', data, '--small', 'tiny', '--small-steps', '10', '--width', '2', '--seeds', '1',
      '--budget', '40', '--batch-size', '2', '--seq-len', '32', '--eval-every', '5', '--eval-windows', '2',
      '--schedule', 'constant', '--stages', 'none', '--backend', 'tfjs', '--out', bench,
    ]); // prettier-ignore
    await until('the benchmark to open its folder', () => existsSync(join(bench, 'bench.json')), 120_000);
    watch = cli(['watch', bench, '--port', '0']);
    url = await until('watch to print its address', () => /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(watch.output())?.[1], 60_000);
    browser = await launchChromium();
  }, 240_000);

  it('shows the runs, takes new steps without a reload, draws the target once random is done, logs no console error', async () => {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => void problems.push(`page error: ${e.message}`));
    let documents = 0;
    page.on('framenavigated', (frame) => void (frame === page.mainFrame() && documents++));

    await page.goto(url);
    await page.waitForSelector('section [data-run]', { timeout: 60_000 });
    expect(await page.textContent('h2')).toBe('Benchmark bench');
    const first = await shownSteps(page);
    await page.evaluate('window.stillThisDocument = true'); // gone if the page reloads

    await expect.poll(() => shownSteps(page), { timeout: 120_000, interval: 250 }).toBeGreaterThan(first);
    expect(await page.evaluate<boolean>('window.stillThisDocument === true')).toBe(true);

    expect(await exited(benchRun), benchRun.output()).toBe(0);
    await expect.poll(() => page.textContent('.note'), { timeout: 30_000 }).toMatch(/^finished; target: validation accuracy 0\.\d{4}$/);
    const runs = await page.$$eval('[data-run]', (items) => items.map((li) => li.getAttribute('data-run')));
    expect(runs).toEqual(['small', 'clone-noisy-symmetric-seed0', 'random-seed0']);
    for (const li of await page.$$eval('[data-run]', (items) => items.map((i) => i.textContent ?? '')))
      expect(li).toMatch(/stopped: completed$/);
    // the accuracy plot's dashed target rule (the report's curveSpec draws it with dash 6,4)
    expect(await page.$eval('.plots figure svg', (svg) => svg.innerHTML)).toContain('stroke-dasharray="6,4"');
    expect(await page.$$eval('.plots figure svg', (svgs) => svgs.length)).toBe(3);

    const shot = join(root, 'watch.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(documents).toBe(1);
    expect(problems).toEqual([]);
  }, 300_000);
});

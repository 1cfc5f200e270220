// The docs check: runs every fenced ```sh, ```bash and ```ts example of README.md and docs/*.md as a user
// would, from the repository root, page by page in order; a failing block fails the check. Not the parser
// (docs-check/doc-blocks.ts) and not a test of the numbers the pages quote.
//
//   npm run docs:check [-- PAGE.md...] [-- --list]      (after setup: packages and CLI built)
//
// A block runs as written, but each page's `/tmp/` is a fresh folder of its own (so runs leave nothing
// behind and never meet an earlier run's outputs), and a block may ask for short settings. Markers, on the
// line directly above a fence:
//   <!-- docs-check: skip (why) -->                   not run; listed with its reason
//   <!-- docs-check: short "--steps 500" -> "--steps 20" -->   run with these literal replacements
// sh and bash blocks run under `bash -euo pipefail`; ts blocks as a module file at the repository root
// (`node --import tsx`), importing the built packages as a user's code does.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeToRun, docBlocks, type DocBlock } from './docs-check/doc-blocks.js';

const ROOT = join(import.meta.dirname, '..');
const BLOCK_TIMEOUT_S = Number(process.env['DOCS_CHECK_BLOCK_TIMEOUT_S'] ?? 900);
const args = process.argv.slice(2);
const listOnly = args.includes('--list');
const named = args.filter((a) => !a.startsWith('--'));
const pages =
  named.length > 0
    ? named
    : [
        'README.md',
        ...readdirSync(join(ROOT, 'docs'))
          .filter((f) => f.endsWith('.md'))
          .sort()
          .map((f) => `docs/${f}`),
      ];

interface Outcome {
  where: string;
  block: DocBlock;
  status: 'ran' | 'failed' | 'skipped' | 'not reached';
  seconds: number;
  cpuSeconds: number;
}

const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** CPU-seconds of this process's finished children (Linux's cutime + cstime; NaN elsewhere): a block's
 * CPU time is the difference around it, a figure the machine's other load does not inflate. */
function childCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // clock ticks of 1/100 s (USER_HZ)
  } catch {
    return NaN;
  }
}

/** Runs one block with the page's /tmp/ folder in place of /tmp/; returns the failure's output, or null. */
function runBlock(block: DocBlock, code: string, work: string, tag: string): string | null {
  const local = code.replaceAll('/tmp/', `${work}/`);
  let command: string;
  let commandArgs: string[];
  let file: string | null = null;
  if (block.language === 'ts') {
    mkdirSync(join(ROOT, '.docs-check'), { recursive: true });
    file = join(ROOT, '.docs-check', `${tag}.ts`);
    writeFileSync(file, `${local}\n`);
    [command, commandArgs] = [process.execPath, ['--import', 'tsx', file]];
  } else [command, commandArgs] = ['bash', ['-euo', 'pipefail', '-c', local]];
  const r = spawnSync(command, commandArgs, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    timeout: BLOCK_TIMEOUT_S * 1000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (file) rmSync(file, { force: true });
  if (r.status === 0) return null;
  const why = r.error ? String(r.error.message) : r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
  return `${why}\n${`${r.stdout}${r.stderr}`.split('\n').slice(-40).join('\n')}`;
}

function checkPage(page: string): Outcome[] {
  const blocks = docBlocks(readFileSync(join(ROOT, page), 'utf8'), page);
  const outcomes: Outcome[] = [];
  const work = mkdtempSync(join(tmpdir(), 'hc-docs-'));
  let failed = false;
  try {
    for (const block of blocks) {
      if (block.action.kind === 'show') continue;
      const where = `${page}:${block.line}`;
      if (block.action.kind === 'skip' || listOnly || failed) {
        const status = block.action.kind === 'skip' ? 'skipped' : failed ? 'not reached' : 'ran';
        outcomes.push({ where, block, status, seconds: 0, cpuSeconds: 0 });
        if (listOnly)
          log(`${where} ${block.language} ${block.action.kind}${block.action.kind === 'skip' ? ` (${block.action.reason})` : ''}`);
        continue;
      }
      const code = codeToRun(block, page);
      const [start, cpuStart] = [performance.now(), childCpuSeconds()];
      const error = runBlock(block, code, work, `${page.replace(/[^a-z0-9]+/gi, '-')}-${block.line}`);
      const [seconds, cpuSeconds] = [(performance.now() - start) / 1000, childCpuSeconds() - cpuStart];
      outcomes.push({ where, block, status: error ? 'failed' : 'ran', seconds, cpuSeconds });
      log(
        `docs-check: ${where} ${block.language}${block.action.kind === 'short' ? ' (short)' : ''} ${error ? 'FAILED' : 'ok'} in ${seconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} CPU-s)`,
      );
      if (error) {
        log(`--- ${where}: the block\n${code}\n--- what it printed (last lines)\n${error}\n---`);
        failed = true; // later blocks of the page may need what this one makes
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return outcomes;
}

const unreadable = pages.flatMap((page) => {
  try {
    docBlocks(readFileSync(join(ROOT, page), 'utf8'), page);
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
});
if (unreadable.length > 0) {
  for (const message of unreadable) log(`docs-check: ${message}`);
  process.exit(1);
}
const start = performance.now();
const outcomes = pages.flatMap((page) => checkPage(page));
if (listOnly) process.exit(0);
const count = (status: Outcome['status']): Outcome[] => outcomes.filter((o) => o.status === status);
const skipped = count('skipped');
log(`docs-check: skipped ${skipped.length} block(s) by their markers:`);
for (const o of skipped) log(`  ${o.where} ${o.block.language}: ${o.block.action.kind === 'skip' ? o.block.action.reason : ''}`);
const failed = count('failed');
log(
  `docs-check: ${count('ran').length} block(s) ran, ${failed.length} failed, ${count('not reached').length} not reached, ${skipped.length} skipped, on ${pages.length} page(s) in ${((performance.now() - start) / 1000).toFixed(0)} s (${outcomes.reduce((sum, o) => sum + o.cpuSeconds, 0).toFixed(0)} CPU-s)`,
);
for (const o of failed) log(`docs-check: FAILED ${o.where}`);
process.exit(failed.length > 0 ? 1 : 0);

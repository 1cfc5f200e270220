// Hugging Face transformers itself (scripts/fixtures/hf_transformers.py) on the committed fixtures and on our exports
// of each fixture and of its width-2/FFN-2 clone: from_pretrained loads them with nothing missing or unexpected and
// gives the fixture's logits within 1e-4. Runs where HYPERCLONE_TRANSFORMERS names a transformers checkout; elsewhere
// it says so and skips. Not import parity (parity.test.ts) and not the transcription (reference.test.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HF_FIXTURES, fixtureDir } from './helpers/fixtures.js';
import { PYTHON } from './helpers/python-reference.js';

const TRANSFORMERS = process.env['HYPERCLONE_TRANSFORMERS'];
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = 'scripts/fixtures/hf_transformers.py';
/** The command line from source, as the CLI tests run it: no build needed. */
const CLI = `${process.execPath} --conditions=@hyperclone/source --import tsx packages/cli/src/main.ts`;

function script(args: string[]): string {
  const r = spawnSync(PYTHON, [SCRIPT, '--transformers', TRANSFORMERS!, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = `${r.stdout}${r.stderr}`;
  console.log(out);
  expect(r.status, out.trim().split('\n').at(-1)).toBe(0);
  return out;
}

/** The "max|Δlogit| X" of every directory the script checked (one indented line each; not its closing "ok:" line). */
const diffs = (out: string): number[] => [...out.matchAll(/^ {2}\S.*?max\|Δlogit\| ([\d.e+-]+)[ ,]/gm)].map((m) => Number(m[1]));

if (TRANSFORMERS === undefined || TRANSFORMERS === '') {
  console.warn(
    '\n*** SKIPPING the transformers check: HYPERCLONE_TRANSFORMERS is not set (the folder holding transformers/; ' +
      'scripts/fixtures/README.md) ***\n',
  );
  describe('Hugging Face transformers on the fixtures and our exports', () => {
    it.skip('needs HYPERCLONE_TRANSFORMERS (a transformers checkout) and python3-torch', () => {});
  });
} else {
  describe(`Hugging Face transformers (${TRANSFORMERS}) on the fixtures and our exports`, () => {
    it(
      'loads every fixture with from_pretrained: its reference logits, argmax and greedy continuation',
      () => {
        const out = script(['check', ...HF_FIXTURES.map(fixtureDir)]);
        expect(out).toMatch(new RegExp(`ok: ${HF_FIXTURES.length} directories`));
        expect(diffs(out)).toHaveLength(HF_FIXTURES.length);
        for (const d of diffs(out)) expect(d).toBeLessThanOrEqual(1e-4);
      },
      HF_FIXTURES.length * 20_000,
    ); // about 5 s a fixture on a loaded 2-core machine

    it(
      "loads our export of every fixture, and of its width-2/FFN-2 clone, with the fixture's logits",
      () => {
        const out = script(['check-exports', '--hyperclone', CLI, '--only', ...HF_FIXTURES]);
        expect(out).toMatch(new RegExp(`ok: ${2 * HF_FIXTURES.length} exported directories`));
        expect(diffs(out)).toHaveLength(2 * HF_FIXTURES.length);
        for (const d of diffs(out)) expect(d).toBeLessThanOrEqual(1e-4);
      },
      HF_FIXTURES.length * 90_000,
    ); // three command lines from source and two checks a fixture
  });
}

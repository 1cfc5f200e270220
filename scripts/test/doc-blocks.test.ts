// Tests of the docs check's reading of a page: fences and their languages, the skip and short markers,
// and the errors for what it cannot read; then every page of the repository read that way. Not the
// running of the blocks (npm run docs:check does that, in CI).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeToRun, docBlocks } from '../docs-check/doc-blocks.js';

const ROOT = join(import.meta.dirname, '../..');
const page = (...lines: string[]): string => lines.join('\n');

describe('docBlocks', () => {
  it('reads each fence with its line, language, code and action', () => {
    const blocks = docBlocks(
      page(
        '# Title',
        '```sh',
        'npx hyperclone --help',
        '```',
        '<!-- docs-check: skip (needs a GPU) -->',
        '```ts',
        "const a = '```';",
        '```',
        '```text',
        'hyperclone eval --checkpoint CKPT',
        '```',
        '<!-- docs-check: short "--steps 500" -> "--steps 5"; "a \\"b\\"" -> "c" -->',
        '````bash',
        'npx hyperclone train --steps 500 # a "b"',
        '````',
      ),
      'page.md',
    );
    expect(blocks).toEqual([
      { line: 2, language: 'sh', code: 'npx hyperclone --help', action: { kind: 'run' } },
      { line: 6, language: 'ts', code: "const a = '```';", action: { kind: 'skip', reason: 'needs a GPU' } },
      { line: 9, language: 'text', code: 'hyperclone eval --checkpoint CKPT', action: { kind: 'show' } },
      {
        line: 13,
        language: 'bash',
        code: 'npx hyperclone train --steps 500 # a "b"',
        action: {
          kind: 'short',
          replace: [
            { from: '--steps 500', to: '--steps 5' },
            { from: 'a "b"', to: 'c' },
          ],
        },
      },
    ]);
    expect(codeToRun(blocks[3]!, 'page.md')).toBe('npx hyperclone train --steps 5 # c');
    expect(codeToRun(blocks[0]!, 'page.md')).toBe('npx hyperclone --help');
  });

  it('refuses what it cannot read, naming the page and line', () => {
    expect(() => docBlocks(page('text', '```', 'ls', '```'), 'a.md')).toThrow(
      'a.md:2: a code block without a language; use sh, bash or ts for commands, text for synopses',
    );
    expect(() => docBlocks(page('```sh', 'ls'), 'a.md')).toThrow('a.md:1: the code block opened here is never closed');
    expect(() => docBlocks(page('<!-- docs-check: later -->', '```sh', 'ls', '```'), 'a.md')).toThrow(
      'a.md:2: unknown docs-check marker "later"; use skip (reason) or short "FROM" -> "TO"',
    );
    expect(() => docBlocks(page('<!-- docs-check: skip (why) -->', '```json', '{}', '```'), 'a.md')).toThrow(
      'a.md:2: a docs-check marker above a json block, which is never run',
    );
    expect(() => docBlocks(page('<!-- docs-check: short --steps 5 -->', '```sh', 'ls', '```'), 'a.md')).toThrow(
      /a\.md:2: a docs-check short marker takes "FROM" -> "TO" pairs/,
    );
    const [stale] = docBlocks(page('<!-- docs-check: short "--steps 500" -> "--steps 5" -->', '```sh', 'train --steps 50', '```'), 'a.md');
    expect(() => codeToRun(stale!, 'a.md')).toThrow('a.md:2: the short marker\'s "--steps 500" is not in the block; update the marker');
  });
});

describe('the repository pages', () => {
  const pages = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];

  it('every fence names its language and every marker reads; every short marker matches its block', () => {
    let runs = 0;
    for (const p of pages) {
      for (const block of docBlocks(readFileSync(join(ROOT, p), 'utf8'), p)) {
        if (block.action.kind === 'run' || block.action.kind === 'short') {
          codeToRun(block, p);
          runs++;
        }
      }
    }
    expect(pages.length).toBeGreaterThanOrEqual(12);
    expect(runs).toBeGreaterThanOrEqual(15);
  });

  it('no example writes outside /tmp or names a folder beside the checkout', () => {
    for (const p of pages) {
      for (const block of docBlocks(readFileSync(join(ROOT, p), 'utf8'), p)) {
        if (block.action.kind !== 'run' && block.action.kind !== 'short') continue;
        const outs = [...block.code.matchAll(/--out[ =](\S+)|out: '([^']+)'/g)].map((m) => m[1] ?? m[2]!);
        expect(
          outs.filter((o) => !o.startsWith('/tmp/')),
          `${p}:${block.line}`,
        ).toEqual([]);
        expect(block.code, `${p}:${block.line}`).not.toMatch(/\.\.\/shared/);
      }
    }
  });
});

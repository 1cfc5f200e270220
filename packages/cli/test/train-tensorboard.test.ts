// `hyperclone train --tensorboard DIR` from the command line, stopped and resumed: the event files, read
// back by the trainer tests' own decoder, hold metrics.jsonl's losses row for row with every CRC checking,
// and a second run into the same folder is refused in one line. Not the file format's details
// (packages/trainer/test/tensorboard.test.ts).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareDataset } from '@hyperclone/data';
import { tempDir } from '../../data/test/helpers.js';
import { decodeEvent, readRecordFile } from '../../trainer/test/tensorboard-reader.js';
import { hyperclone } from './run-cli.js';

const root = tempDir('hc-cli-tb-');
const data = join(root, 'data');
const run = join(root, 'run');
const tb = join(root, 'tb', 'run');
const train = ['train', '--data', data, '--model', 'tiny', '--backend', 'tfjs', '--steps', '6', '--batch-size', '2', '--seq-len', '16'];

beforeAll(async () => {
  await prepareDataset({ inputs: ['builtin:stories:0.25'], tokenizer: 'byte', out: data });
}, 60_000);

describe('hyperclone train --tensorboard', () => {
  it('a stopped and resumed run: every CRC checks, train/loss equals metrics.jsonl row for row; the folder is kept on --resume', async () => {
    const first = await hyperclone([...train, '--out', run, '--eval-every', '3', '--stop-after', '4', '--tensorboard', tb]);
    expect(first.code, first.stderr).toBe(0);
    const second = await hyperclone(['train', '--out', run, '--resume']);
    expect(second.code, second.stderr).toBe(0);
    const files = readdirSync(tb)
      .filter((n) => n.includes('tfevents'))
      .sort();
    expect(files).toHaveLength(2);
    const losses: [number, number][] = [];
    for (const name of files) {
      const check = readRecordFile(join(tb, name));
      expect(check.trailing).toBe(0);
      for (const [stored, computed] of check.crcs) expect(stored).toBe(computed);
      for (const e of check.records.map(decodeEvent))
        for (const v of e.values ?? []) if (v.tag === 'train/loss') losses.push([e.step, v.simpleValue!]);
    }
    const rows = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number });
    expect(losses).toEqual(rows.map((r) => [r.step, Math.fround(r.loss)]));
    expect(losses.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 120_000);

  it("refuses a fresh run into a folder holding another run's event files: one line, exit 1, no run folder", async () => {
    const other = join(root, 'other');
    const r = await hyperclone([...train, '--out', other, '--tensorboard', tb]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `hyperclone: error: --tensorboard ${tb} already holds another run's TensorBoard event files; give each run its own folder (e.g. RUN/tensorboard)\n`,
    );
    expect(readdirSync(root)).not.toContain('other');
  }, 60_000);
});

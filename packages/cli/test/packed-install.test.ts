// The round trip a user makes: `npm pack` every package, install the tarballs into an empty project
// (from the npm cache where it can), import the library there, run the README's library example on the
// built-in data and `npx hyperclone` with the built-in corpora and tasks. Needs the build (npm run
// build). Not a test of the commands' behaviour (the other cli tests).

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeToRun, docBlocks } from '../../../scripts/docs-check/doc-blocks.js';
import { tempDir } from '../../data/test/helpers.js';
import { REPO } from './run-cli.js';

const root = tempDir('packed');
const tarballs = join(root, 'tgz');
const project = join(root, 'project');
let installLog = '';

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every file under dir (the installed @hyperclone packages). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const PACKAGES = ['core', 'hf', 'init', 'data', 'trainer', 'bench', 'backend-tfjs', 'backend-torch', 'cli'];

/** `npm pack` of every package, each from a copy of what it packs (its package.json and `files`), so
 * that the prepack step's rewrite of package.json never touches the checkout other tests read. */
function packAll(): void {
  const copy = join(root, 'checkout');
  cpSync(join(REPO, 'scripts/pack-manifest.mjs'), join(copy, 'scripts/pack-manifest.mjs'));
  for (const name of PACKAGES) {
    const from = join(REPO, 'packages', name);
    const to = join(copy, 'packages', name);
    const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { files: string[] };
    for (const entry of ['package.json', ...pkg.files.filter((f) => !f.startsWith('!'))])
      cpSync(join(from, entry), join(to, entry), { recursive: true });
    run('npm', ['pack', '--pack-destination', tarballs, '--silent'], to);
  }
}

beforeAll(() => {
  if (!existsSync(join(REPO, 'packages/cli/dist/main.js'))) throw new Error('the packages are not built; run npm run build first');
  mkdirSync(tarballs);
  mkdirSync(project);
  packAll();
  writeFileSync(join(project, 'package.json'), '{ "name": "try-hyperclone", "private": true, "type": "module" }\n');
  const tgz = readdirSync(tarballs).map((f) => join(tarballs, f));
  // LIBTORCH pointing nowhere: the torch install step must say how to get libtorch and not fail the install
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', ...tgz], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, LIBTORCH: join(root, 'no-libtorch') },
  });
  installLog = `${install.stdout}${install.stderr}`;
  if (install.status !== 0) throw new Error(`npm install of the tarballs failed:\n${installLog}`);
}, 600_000);

describe('the packed packages in an empty project', () => {
  it(`packs all ${PACKAGES.length} packages with their built-in data, none naming the development-only source condition`, () => {
    expect(readdirSync(tarballs).sort()).toEqual([...PACKAGES].sort().map((p) => `hyperclone-${p}-0.1.0.tgz`));
    const installed = filesUnder(join(project, 'node_modules/@hyperclone'));
    expect(installed.filter((f) => f.endsWith('.d.ts')).length).toBeGreaterThan(50);
    expect(installed.filter((f) => readFileSync(f, 'utf8').includes('@hyperclone/source'))).toEqual([]);
    const trainer = JSON.parse(readFileSync(join(project, 'node_modules/@hyperclone/trainer/package.json'), 'utf8'));
    expect(trainer.exports).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
    expect(trainer.scripts).toBeUndefined();
    const shipped = (pkg: string, file: string): string => join(project, 'node_modules/@hyperclone', pkg, file);
    for (const file of [
      shipped('data', 'corpora/tinyshakespeare/input.txt'),
      shipped('data', 'corpora/tinyshakespeare/NOTICE.md'),
      ...['arc-easy', 'hellaswag'].flatMap((task) => [
        shipped('trainer', `tasks/${task}/docs.jsonl`),
        shipped('trainer', `tasks/${task}/NOTICE.md`),
      ]),
    ])
      expect(existsSync(file), file).toBe(true);
  });

  it('installs without libtorch: the torch step says in one line how to get it', () => {
    const lines = installLog.split('\n').filter((l) => l.startsWith('@hyperclone/backend-torch: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/torch backend not built \(the tfjs backend works without it\): LIBTORCH=.*apt-get install -y libtorch-dev/);
    expect(lines[0]).toContain('npm rebuild @hyperclone/backend-torch');
    expect(existsSync(join(project, 'node_modules/@hyperclone/backend-torch/build/Release/hyperclone_torch.node'))).toBe(false);
  });

  /** What a user imports first, by package. */
  const IMPORTS: Record<string, string[]> = { trainer: ['trainFrom'], init: ['hyperclone', 'randomInit'], data: ['prepareDataset'] };
  const names = Object.values(IMPORTS).flat();
  it(`imports the library: ${names.join(', ')}`, () => {
    const script =
      Object.entries(IMPORTS)
        .map(([pkg, imports]) => `import { ${imports.join(', ')} } from '@hyperclone/${pkg}';`)
        .join(' ') + `console.log([${names.join(', ')}].map((f) => typeof f).join(" "));`;
    expect(run(process.execPath, ['--input-type=module', '-e', script], project).trim()).toBe(names.map(() => 'function').join(' '));
  });

  it("runs the README's library example: built-in data, tfjs, a clone trained to a target, the summary's device-hours", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const example = docBlocks(readme, 'README.md').find((b) => b.language === 'ts' && b.code.includes('trainFrom(hyperclone('));
    expect(example, "the README's library example (a ts block that calls trainFrom(hyperclone(...)))").toBeDefined();
    const work = join(project, 'example');
    writeFileSync(join(project, 'readme-example.ts'), codeToRun(example!, 'README.md').replaceAll('/tmp/', `${work}/`));
    const tsx = createRequire(join(REPO, 'package.json')).resolve('tsx'); // the user runs TypeScript their way
    const printed = run(process.execPath, ['--import', tsx, 'readme-example.ts'], project);
    const wide = JSON.parse(readFileSync(join(work, 'hyperclone/wide/summary.json'), 'utf8'));
    expect([wide.init, String(wide.backend).startsWith('tfjs'), wide.deviceHours > 0]).toEqual(['hyperclone', true, true]);
    expect(printed).toContain(`device-hours ${wide.deviceHours}, to the target ${wide.deviceHoursToTarget}`);
  });

  it('runs npx hyperclone: eval --task hellaswag and arc-easy with no file given; an unknown task lists the built-in ones', () => {
    const ckpt = join(project, 'example/hyperclone/wide/checkpoints/best');
    const data = join(project, 'example/hyperclone/data');
    const args = ['hyperclone', 'eval', '--checkpoint', ckpt, '--data', data, '--eval-windows', '4', '--task-limit', '8', '--json'];
    const scores = JSON.parse(run('npx', [...args, '--task', 'hellaswag', '--task', 'arc-easy'], project));
    expect([scores.hellaswag.count, scores['arc-easy'].count]).toEqual([8, 8]);
    const unknown = spawnSync('npx', [...args, '--task', 'hellaswg'], { cwd: project, encoding: 'utf8' });
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('unknown task "hellaswg": the built-in tasks are arc-easy, hellaswag');
  });

  it('runs npx hyperclone: --help, then prepare builtin:brown and train on tfjs', () => {
    expect(run('npx', ['hyperclone', '--help'], project)).toMatch(/^hyperclone: pre-train GPT models[\s\S]*\n {2}prepare /);
    run('npx', ['hyperclone', 'prepare', '--input', 'builtin:brown', '--tokenizer', 'byte', '--out', 'data'], project);
    const meta = JSON.parse(readFileSync(join(project, 'data/meta.json'), 'utf8'));
    expect(meta.documents).toEqual({ train: 450, val: 50 });
    const args = ['train', '--data', 'data', '--model', 'tiny', '--steps', '2', '--batch-size', '2', '--seq-len', '16', '--out', 'run'];
    run('npx', ['hyperclone', ...args], project);
    const summary = JSON.parse(readFileSync(join(project, 'run/summary.json'), 'utf8'));
    expect([summary.steps, String(summary.backend).startsWith('tfjs')]).toEqual([2, true]);
  });
});

#!/usr/bin/env node
// The package's npm install step: builds the libtorch addon when libtorch and a C++ compiler are
// found, and otherwise says in one line how to get it. Never fails the install (tfjs works without
// torch). Not the build itself (build-native.mjs); in the checkout, scripts/setup.sh builds it.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildScript = join(packageDir, 'scripts', 'build-native.mjs');
const addon = join(packageDir, 'build', 'Release', 'hyperclone_torch.node');
const say = (line) => process.stderr.write(`@hyperclone/backend-torch: ${line}\n`);

/** The last `build:native:` line of a build's output: its one-line reason. */
function reasonOf(output) {
  const lines = output.split('\n').filter((l) => l.startsWith('build:native: '));
  return (lines.at(-1) ?? 'the build failed').replace(/^build:native: /, '');
}

function main() {
  if (existsSync(join(packageDir, 'src'))) return; // the checkout: `npm run build:native` (scripts/setup.sh)
  if (existsSync(addon)) return;
  if (process.env.HYPERCLONE_SKIP_TORCH_BUILD === '1') {
    say('the libtorch addon was not built (HYPERCLONE_SKIP_TORCH_BUILD=1); the tfjs backend works without it');
    return;
  }
  const check = spawnSync(process.execPath, [buildScript, '--check'], { encoding: 'utf8' });
  if (check.status !== 0) {
    say(`torch backend not built (the tfjs backend works without it): ${reasonOf(`${check.stdout}${check.stderr}`)}`);
    return;
  }
  say('building the libtorch addon (a few minutes on 2 cores)');
  const build = spawnSync(process.execPath, [buildScript], { encoding: 'utf8', cwd: packageDir });
  const log = join(packageDir, 'build', 'install.log');
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, `${build.stdout ?? ''}${build.stderr ?? ''}`);
  if (build.status === 0) say(`built ${addon}`);
  else
    say(
      `torch backend not built (the tfjs backend works without it; full output in ${log}): ${reasonOf(`${build.stdout}${build.stderr}`)}`,
    );
}

try {
  main();
} catch (e) {
  say(`torch backend not built (the tfjs backend works without it): ${e.message}`);
}

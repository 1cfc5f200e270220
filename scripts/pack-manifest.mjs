// npm pack's prepack/postpack step for every package: the packed package.json names no
// development-only export condition ("@hyperclone/source", which points at src/), no build scripts
// and no devDependencies; postpack puts the checkout's package.json back. Not a publisher.
//
// usage (from a package's scripts): node ../../scripts/pack-manifest.mjs prepack|postpack

import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const SOURCE_CONDITION = '@hyperclone/source';
/** Lifecycle scripts a user's install runs; everything else is the checkout's. */
const KEEP_SCRIPTS = ['preinstall', 'install', 'postinstall'];
const SAVED = '.package.json.checkout';

function withoutSourceCondition(exports) {
  if (exports === null || typeof exports !== 'object') return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, value]) => [key, withoutSourceCondition(value)]),
  );
}

function packedManifest(pkg) {
  const out = { ...pkg, exports: withoutSourceCondition(pkg.exports) };
  const scripts = Object.fromEntries(Object.entries(pkg.scripts ?? {}).filter(([name]) => KEEP_SCRIPTS.includes(name)));
  if (Object.keys(scripts).length > 0) out.scripts = scripts;
  else delete out.scripts;
  delete out.devDependencies;
  return out;
}

const step = process.argv[2];
if (step === 'prepack') {
  if (existsSync(SAVED)) renameSync(SAVED, 'package.json'); // an interrupted pack left it behind
  copyFileSync('package.json', SAVED);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  writeFileSync('package.json', `${JSON.stringify(packedManifest(pkg), null, 2)}\n`);
} else if (step === 'postpack') {
  if (existsSync(SAVED)) renameSync(SAVED, 'package.json');
} else {
  process.stderr.write('usage: node scripts/pack-manifest.mjs prepack|postpack\n');
  process.exit(2);
}

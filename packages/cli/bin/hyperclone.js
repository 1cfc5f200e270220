#!/usr/bin/env node
// The `hyperclone` executable that npm links (node_modules/.bin, npm link, a global install): it
// runs the built CLI in dist/. Not the CLI itself (src/main.ts); this file exists before the build.

import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('hyperclone: error: the CLI is not built yet; run npm run build in the checkout (or bash scripts/setup.sh)\n');
  process.exit(1);
}
await import(main.href);

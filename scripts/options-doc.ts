// Rewrites the option table in docs/training.md from the trainer's option table (run after adding
// or changing an option: npm run docs:options). Not the check (packages/cli/test/options-doc.test.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withOptionsTable } from '../packages/cli/src/options-doc.js';

const page = join(import.meta.dirname, '..', 'docs', 'training.md');
writeFileSync(page, withOptionsTable(readFileSync(page, 'utf8')));
console.log(`wrote the option table of ${page}`);

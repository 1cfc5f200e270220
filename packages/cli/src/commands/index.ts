// The registry of sub-commands, in the order `hyperclone --help` lists them.
// Not their implementations.

import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { cloneCommand, growCommand } from './clone.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { prepareCommand } from './prepare.js';
import { sampleCommand } from './sample.js';
import { trainCommand } from './train.js';
import { watchCommand } from './watch.js';

export const commands: Command[] = [
  prepareCommand,
  initCommand,
  cloneCommand,
  growCommand,
  trainCommand,
  evalCommand,
  sampleCommand,
  benchCommand,
  watchCommand,
  importCommand,
  exportCommand,
];

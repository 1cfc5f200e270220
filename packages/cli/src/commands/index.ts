// The registry of sub-commands, in the order `hyperclone --help` lists them.
// Not their implementations.

import type { Command } from '../command.js';
import { cloneCommand } from './clone.js';
import { initCommand } from './init.js';

export const commands: Command[] = [initCommand, cloneCommand];

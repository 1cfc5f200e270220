// The registry of sub-commands, in the order `hyperclone --help` lists them.
// Not their implementations.

import type { Command } from '../command.js';

export const commands: Command[] = [];

#!/usr/bin/env node
// The `hyperclone` command: dispatches to sub-commands and turns errors into one-line reasons.
// Not any command's logic (see commands/).

import { CliError, type Command } from './command.js';
import { commands } from './commands/index.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(helpText());
    return name ? 0 : 2;
  }
  const command = commands.find((c: Command) => c.name === name);
  if (!command) throw new CliError(`unknown command "${name}"; commands: ${commands.map((c) => c.name).join(', ')}`, 2);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\nusage: ${command.usage}\n${command.help ? `\n${command.help}\n` : ''}`);
    return 0;
  }
  return (await command.run(rest)) ?? 0;
}

function helpText(): string {
  const lines = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return `hyperclone: pre-train GPT models, and grow them with HyperCloning\n\ncommands:\n${lines.join('\n')}\n\nhyperclone <command> --help for its flags\n`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`hyperclone: error: ${err.message}\n`);
    if (process.env['HYPERCLONE_DEBUG'] && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = e instanceof CliError ? e.exitCode : 1;
  },
);

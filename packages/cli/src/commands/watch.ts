// `hyperclone watch RUN_OR_BENCH_DIR... [--port P] [--host ADDR]`: serves one local page that draws
// the folders' curves as their runs write them, until stopped. Not the server (watch/watch-server.ts).

import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, numberFlag, type Command } from '../command.js';
import { openWatchedFolder, type WatchedFolder } from '../watch/watched-folder.js';
import { startWatchServer } from '../watch/watch-server.js';

const usage = 'hyperclone watch RUN_OR_BENCH_DIR... [--port P] [--host ADDR]';
const DEFAULT_PORT = 6150;

export const watchCommand: Command = {
  name: 'watch',
  summary: 'a local page that plots runs and benchmarks as they train',
  usage,
  help: [
    '  RUN_OR_BENCH_DIR...  the --out folders of `hyperclone train` runs (drawn together) or `hyperclone bench` benchmarks',
    `  --port P             the page's port (default ${DEFAULT_PORT}; 0 picks a free one)`,
    '  --host ADDR          the address to listen on (default 127.0.0.1: this machine only)',
  ].join('\n'),
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: { port: { type: 'string' }, host: { type: 'string' } },
      });
    } catch (e) {
      throw new CliError(`${(e as Error).message.split('\n')[0]}\nusage: ${usage}`, 2);
    }
    const { values: f, positionals } = parsed;
    if (positionals.length === 0) throw new CliError(`give at least one run or benchmark folder\nusage: ${usage}`, 2);
    const port = numberFlag(f.port, 'port', { integer: true, min: 0, max: 65535 }) ?? DEFAULT_PORT;
    const host = f.host ?? '127.0.0.1';
    const folders = watchedFolders(positionals);
    const server = await startWatchServer({ folders, host, port });
    process.stdout.write(`watching ${folders.map((w) => `${w.label} (${w.kind})`).join(', ')} at ${server.url} (Ctrl-C stops)\n`);
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};

/** Each folder once, labelled by its name (its path as given where two names are the same). */
function watchedFolders(paths: string[]): WatchedFolder[] {
  const unique = [...new Map(paths.map((p) => [resolve(p), p])).entries()];
  const names = unique.map(([abs]) => basename(abs));
  return unique.map(([abs, given], i) =>
    openWatchedFolder(abs, names.indexOf(names[i]!) === names.lastIndexOf(names[i]!) ? names[i]! : given),
  );
}

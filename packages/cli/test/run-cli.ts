// Test helper: runs `hyperclone ARGS` from source in a child process and collects its output.
// Not a test itself.

import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '../../..');

export interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `hyperclone ARGS` in a child process; `onStart` may signal it; `env` adds variables. */
export function hyperclone(args: string[], onStart?: (pid: number) => void, env: NodeJS.ProcessEnv = {}): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@hyperclone/source', '--import', 'tsx', join(REPO, 'packages/cli/src/main.ts'), ...args],
      {
        cwd: REPO,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onStart?.(child.pid!);
  });
}

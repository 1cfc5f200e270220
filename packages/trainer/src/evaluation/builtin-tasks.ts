// The multiple-choice tasks that ship with this package (tasks/<name>/docs.jsonl, each with its
// NOTICE.md), named by `--task hellaswag` or `tasks: ['arc-easy']`. Not their loading or scoring (tasks.ts).

import { fileURLToPath } from 'node:url';

/** Built-in task names, in the order error messages list them. */
export const BUILTIN_TASKS = ['arc-easy', 'hellaswag'] as const;
export type BuiltinTask = (typeof BUILTIN_TASKS)[number];

export function isBuiltinTask(name: string): name is BuiltinTask {
  return (BUILTIN_TASKS as readonly string[]).includes(name);
}

/** The task's JSONL file inside the package: two folders above this module in src/evaluation/ and in dist/evaluation/ alike. */
export function builtinTaskFile(name: BuiltinTask): string {
  return fileURLToPath(new URL(`../../tasks/${name}/docs.jsonl`, import.meta.url));
}

/** A task given by a bare name (no folder, no extension) names a built-in one. */
export function looksLikeTaskName(spec: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*$/i.test(spec);
}

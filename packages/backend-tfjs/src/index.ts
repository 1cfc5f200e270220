// Public surface of @hyperclone/backend-tfjs: the tfjs Backend factory and its option types.
// Not an implementation: see tfjs-backend.ts and engine-select.ts.

export { createTfjsBackend, type TfjsBackend } from './tfjs-backend.js';
export type { TfjsEngine, TfjsBackendOptions } from './engine-select.js';

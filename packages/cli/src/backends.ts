// Picks a compute backend by name for the CLI (and examples): 'torch' (libtorch addon), 'tfjs', or
// 'auto' (torch when its addon loads, else tfjs). Not a backend: the packages it imports are.

import type { Backend } from '@hyperclone/core';
import { CliError, numberFlag } from './command.js';

export type BackendName = 'auto' | 'torch' | 'tfjs';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'torch', 'tfjs'];

export interface BackendRequest {
  backend: BackendName;
  device?: 'cpu' | 'cuda';
  threads?: number;
}

interface TorchModule {
  createTorchBackend(options: { device: 'cpu' | 'cuda'; threads?: number }): Promise<Backend>;
  isTorchAvailable(): boolean;
}

export function parseBackendName(value: string | undefined): BackendName {
  const name = value ?? 'auto';
  if (!(BACKEND_NAMES as readonly string[]).includes(name))
    throw new CliError(`--backend must be one of ${BACKEND_NAMES.join(', ')} (got "${name}")`, 2);
  return name as BackendName;
}

export function parseDevice(value: string | undefined): 'cpu' | 'cuda' | undefined {
  if (value === undefined || value === 'cpu' || value === 'cuda') return value;
  throw new CliError(`--device must be cpu or cuda (got "${value}")`, 2);
}

async function torchModule(): Promise<Partial<TorchModule>> {
  try {
    return (await import('@hyperclone/backend-torch')) as Partial<TorchModule>;
  } catch {
    return {};
  }
}

export async function resolveBackend(request: BackendRequest): Promise<Backend> {
  const torch = request.backend === 'tfjs' ? {} : await torchModule();
  const torchReady = typeof torch.createTorchBackend === 'function' && torch.isTorchAvailable?.() === true;
  if (request.backend === 'torch' && !torchReady) {
    throw new CliError(
      'the torch backend is not available here (its libtorch addon is not built or does not load); build it with `npm run build:native`, or use --backend tfjs',
    );
  }
  if (torchReady && request.backend !== 'tfjs') {
    const options: { device: 'cpu' | 'cuda'; threads?: number } = { device: request.device ?? 'cpu' };
    if (request.threads !== undefined) options.threads = request.threads;
    return torch.createTorchBackend!(options);
  }
  if (request.device === 'cuda') {
    throw new CliError(
      '--device cuda needs the torch backend (not available here), or tfjs with @tensorflow/tfjs-node-gpu installed; use --device cpu',
    );
  }
  const { createTfjsBackend } = await import('@hyperclone/backend-tfjs');
  return createTfjsBackend(request.threads !== undefined ? { threads: request.threads } : {});
}

/** The backend a command's --backend, --device and --threads flags ask for (defaultName when --backend is absent). */
export function backendFromFlags(
  f: { backend?: string | undefined; device?: string | undefined; threads?: string | undefined },
  defaultName?: BackendName,
): Promise<Backend> {
  const request: BackendRequest = { backend: parseBackendName(f.backend ?? defaultName) };
  const device = parseDevice(f.device);
  if (device) request.device = device;
  const threads = numberFlag(f.threads, 'threads', { integer: true, min: 1 });
  if (threads !== undefined) request.threads = threads;
  return resolveBackend(request);
}

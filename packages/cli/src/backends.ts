// Picks a compute backend by name for the CLI (and examples): 'torch' (libtorch addon), 'tfjs', or
// 'auto' (torch when its addon loads, else tfjs). Not a backend: the packages it imports are.

import type { Backend } from '@hyperclone/core';
import { choiceFlag, CliError, integerFlag } from './command.js';
import type { FlagDoc } from './option-flags.js';

export type BackendName = 'auto' | 'torch' | 'tfjs';
const BACKEND_NAMES: readonly BackendName[] = ['auto', 'torch', 'tfjs'];

export type DeviceName = 'cpu' | 'cuda' | `cuda:${number}`;

export interface BackendRequest {
  backend: BackendName;
  device?: DeviceName;
  threads?: number;
  /** torch on cuda only: bf16 autocast (weights, optimizer state and the loss stay float32). */
  autocast?: 'bf16';
}

interface TorchModule {
  createTorchBackend(options: { device: DeviceName; threads?: number; autocast?: 'bf16' }): Promise<Backend>;
  isTorchAvailable(): boolean;
  BUILD_HINT: string;
}

const DEVICES = ['cpu', 'cuda'] as const;
const AUTOCASTS = ['none', 'bf16'] as const;

/** --backend, --device, --threads and --autocast, as every command that computes documents them. */
export const BACKEND_FLAGS: FlagDoc[] = [
  {
    name: 'backend',
    arg: BACKEND_NAMES.join('|'),
    help: 'compute engine: torch (libtorch addon), tfjs, or auto (torch when its addon loads)',
    defaultText: 'auto',
  },
  { name: 'device', arg: DEVICES.join('|'), help: 'where torch computes (cuda needs a CUDA libtorch)', defaultText: 'cpu' },
  { name: 'threads', arg: 'N', help: 'CPU threads of the engine', defaultText: "the engine's" },
  {
    name: 'autocast',
    arg: AUTOCASTS.join('|'),
    help: 'torch on cuda: run matmuls and attention in bf16 under autocast (weights, AdamW state and the loss stay float32)',
    defaultText: 'none',
  },
];

function parseBackendName(value: string | undefined): BackendName {
  return choiceFlag(value ?? 'auto', 'backend', BACKEND_NAMES)!;
}

export function parseDevice(value: string | undefined): DeviceName | undefined {
  if (value !== undefined && /^cuda:\d+$/.test(value)) return value as DeviceName; // a worker's cuda:LOCAL_RANK
  return choiceFlag(value, 'device', DEVICES);
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
      `the torch backend is not available here (its libtorch addon is not built or does not load); ${torch.BUILD_HINT ?? 'install @hyperclone/backend-torch'}, or use --backend tfjs`,
    );
  }
  if (torchReady && request.backend !== 'tfjs') {
    const options: { device: DeviceName; threads?: number; autocast?: 'bf16' } = { device: request.device ?? 'cpu' };
    if (request.threads !== undefined) options.threads = request.threads;
    if (request.autocast) options.autocast = request.autocast;
    return torch.createTorchBackend!(options);
  }
  if (request.device?.startsWith('cuda')) {
    throw new CliError(
      '--device cuda needs the torch backend (not available here), or tfjs with @tensorflow/tfjs-node-gpu installed; use --device cpu',
    );
  }
  const { createTfjsBackend } = await import('@hyperclone/backend-tfjs');
  return createTfjsBackend(request.threads !== undefined ? { threads: request.threads } : {});
}

export type BackendFlagValues = {
  backend?: string | undefined;
  device?: string | undefined;
  threads?: string | undefined;
  autocast?: string | undefined;
};

/** The BACKEND_FLAGS values out of a command's parsed flags. */
export function backendFlagValues(f: Readonly<Record<string, unknown>>): BackendFlagValues {
  const text = (name: string): string | undefined => (typeof f[name] === 'string' ? (f[name] as string) : undefined);
  return { backend: text('backend'), device: text('device'), threads: text('threads'), autocast: text('autocast') };
}

/**
 * The request a command's --backend, --device, --threads and --autocast flags make (defaultName when --backend
 * is absent), every value checked: a usage error (exit 2) before the command reads or writes anything.
 */
export function backendRequest(f: BackendFlagValues, defaultName?: BackendName): BackendRequest {
  const request: BackendRequest = { backend: parseBackendName(f.backend ?? defaultName) };
  const device = parseDevice(f.device);
  if (device) request.device = device;
  const threads = integerFlag(f.threads, 'threads');
  if (threads !== undefined) request.threads = threads;
  if (choiceFlag(f.autocast, 'autocast', AUTOCASTS) === 'bf16') {
    if (request.backend === 'tfjs' || !request.device?.startsWith('cuda'))
      throw new CliError('--autocast bf16 needs the torch backend on a GPU (--device cuda); on the CPU every op runs in float32', 2);
    request.autocast = 'bf16';
  }
  return request;
}

/** The backend a command's --backend, --device, --threads and --autocast flags ask for. */
export async function backendFromFlags(f: BackendFlagValues, defaultName?: BackendName): Promise<Backend> {
  return resolveBackend(backendRequest(f, defaultName));
}

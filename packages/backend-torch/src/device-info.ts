// Describes the device a torch backend runs on: CPU model from /proc/cpuinfo, or the CUDA device's name.
// Not device selection: the Engine picks the device; this only names it for summaries and logs.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { DeviceInfo } from '@hyperclone/core';

export function cpuName(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return cpus()[0]?.model.trim() || 'unknown CPU';
}

/** The CUDA device's name: HYPERCLONE_DEVICE_NAME, else nvidia-smi, else a generic label. */
function cudaName(index: number): string {
  if (process.env.HYPERCLONE_DEVICE_NAME) return process.env.HYPERCLONE_DEVICE_NAME;
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader', `--id=${index}`], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (out.trim()) return out.trim();
  } catch {
    // no nvidia-smi on PATH
  }
  return `CUDA device ${index}`;
}

export function deviceInfo(device: string): DeviceInfo {
  if (device.startsWith('cuda')) {
    const index = Number(device.split(':')[1] ?? 0);
    return { kind: 'cuda', name: cudaName(index), count: 1 };
  }
  return { kind: 'cpu', name: cpuName(), count: 1 };
}

// Which of OpenBLAS's GEMM kernels libtorch's CPU matmuls run: OpenBLAS 0.3.21 (Debian 12's) does not know
// AMD's AVX-512 CPUs (Zen 4, Zen 5) and runs its AVX2 (Haswell) kernels there; its AVX-512 (SkylakeX)
// kernels ran baby GPT's GEMMs 1.7-1.9x faster (docs/benchmarks.md). Not a BLAS of our own, and nothing
// here applies once the user sets OPENBLAS_CORETYPE, or to a libtorch on another BLAS (which ignores it).

import { readFileSync } from 'node:fs';

const AVX512 = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'];

/** The OPENBLAS_CORETYPE this CPU should run (from /proc/cpuinfo's text), or null to leave OpenBLAS's choice. */
export function preferredOpenBlasCore(cpuinfo: string): string | null {
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
  const flags = new Set((/^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  return vendor === 'AuthenticAMD' && AVX512.every((f) => flags.has(f)) ? 'SkylakeX' : null;
}

/** Sets OPENBLAS_CORETYPE for this CPU unless it is set (read when libtorch loads OpenBLAS). */
export function chooseOpenBlasKernels(): void {
  if (process.arch !== 'x64' || process.env['OPENBLAS_CORETYPE']) return;
  let cpuinfo: string;
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return; // not Linux: OpenBLAS's own choice
  }
  const core = preferredOpenBlasCore(cpuinfo);
  if (core) process.env['OPENBLAS_CORETYPE'] = core;
}

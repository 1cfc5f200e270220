// The kernels the torch record was made with, pinned: libtorch's AVX2 code and OpenBLAS's Haswell GEMMs.
// Left to choose, both pick by CPU (AVX-512 kernels on one machine, Zen GEMM blocking on another) and
// sum in another order, so the record held on one machine type only. Pinned, it holds on any x86-64
// machine with AVX2. Read when libtorch loads: import this module before anything loads the addon.
// Not a speed setting: training outside the trace leaves both to the CPU.

if (process.arch === 'x64') {
  process.env['ATEN_CPU_CAPABILITY'] ??= 'avx2';
  process.env['OPENBLAS_CORETYPE'] ??= 'Haswell';
}

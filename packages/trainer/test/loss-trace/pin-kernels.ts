// The kernels the torch record was made with, pinned where the user has not chosen: libtorch's AVX2 code
// and OpenBLAS's Haswell GEMMs. Left to choose, both pick by CPU (AVX-512 kernels on one machine, Zen GEMM
// blocking on another) and sum in another order; pinned, most x86-64 machines reproduce the record bit for
// bit. The test does not depend on it: torch's trace is compared within a bound that other kernels meet
// (loss-trace.test.ts says how it was derived). Read when libtorch loads: import this module before
// anything loads the addon. Not a speed setting: training outside the trace leaves both to the CPU.

if (process.arch === 'x64') {
  process.env['ATEN_CPU_CAPABILITY'] ??= 'avx2';
  process.env['OPENBLAS_CORETYPE'] ??= 'Haswell';
}

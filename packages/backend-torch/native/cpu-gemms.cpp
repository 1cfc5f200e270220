// The CPU GEMM tasks of cpu-gemms.h on ATen's thread pool (compiled with OpenMP, like attention-cpu.cpp, so
// at::parallel_for's loop runs on every thread; OpenBLAS inside an OpenMP region runs single-threaded).
// Not a BLAS: every task is one at::mm_out (or addmm_), so each runs the kernels at::mm runs on one thread.
#include "cpu-gemms.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace hc {

void runGemms(const std::vector<GemmTask>& tasks) {
  at::parallel_for(0, static_cast<int64_t>(tasks.size()), 1, [&](int64_t begin, int64_t end) {
    at::NoGradGuard noGrad;  // the worker threads' own grad mode: these are a node's insides
    for (int64_t i = begin; i < end; i++) {
      const GemmTask& t = tasks[static_cast<size_t>(i)];
      at::Tensor out = t.out;
      if (t.accumulate) out.addmm_(t.a, t.b);
      else at::mm_out(out, t.a, t.b);
    }
  });
}

void appendRowBlocks(std::vector<GemmTask>& tasks, const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, int64_t blocks,
                     bool accumulate) {
  const int64_t rows = out.size(0);
  blocks = std::max<int64_t>(1, std::min(blocks, rows));
  for (int64_t k = 0; k < blocks; k++) {
    const int64_t begin = rows * k / blocks, end = rows * (k + 1) / blocks;
    if (end > begin) tasks.push_back({out.narrow(0, begin, end - begin), a.narrow(0, begin, end - begin), b, accumulate});
  }
}

bool spreadGemms(const at::Tensor& t) { return t.is_cpu() && at::get_num_threads() > 1; }

int64_t gemmThreads() { return at::get_num_threads(); }

}  // namespace hc

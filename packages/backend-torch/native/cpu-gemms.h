// GEMMs on CPU spread over the threads as whole single-threaded GEMMs (or row blocks of one), instead of
// each GEMM split by OpenBLAS over every thread: at these models' sizes OpenBLAS's own split waits more
// than it computes (docs/backend-torch.md). Not autograd (linear-cpu.cpp, linear-cross-entropy.cpp use it).
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace hc {

/** out = a · b, one GEMM run by one thread (out a view with unit column stride, e.g. a row block). */
struct GemmTask {
  at::Tensor out;
  at::Tensor a;
  at::Tensor b;
  /** out += a · b instead of out = a · b. */
  bool accumulate = false;
};

/** Runs the tasks on ATen's threads, each on one thread (OpenBLAS stays single-threaded inside), in any order. */
void runGemms(const std::vector<GemmTask>& tasks);

/** out = a · b split into `blocks` row blocks of out (and a), as tasks (blocks 1: the whole GEMM). */
void appendRowBlocks(std::vector<GemmTask>& tasks, const at::Tensor& out, const at::Tensor& a, const at::Tensor& b, int64_t blocks,
                     bool accumulate = false);

/** Whether CPU GEMMs go through runGemms: CPU tensors with more than one thread (one thread: at::mm itself). */
bool spreadGemms(const at::Tensor& t);

/** ATen's intra-op threads (one row block each in a spread forward GEMM). */
int64_t gemmThreads();

}  // namespace hc

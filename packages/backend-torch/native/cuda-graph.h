// A step program's replay captured as one CUDA graph (at::cuda::CUDAGraph): the batch goes into the program's
// fixed input buffers, AdamW reads its learning rate and step count from device scalars set before each
// replay, and the outputs are copied out of the graph's static memory. Compiled only where the build's
// probe finds CUDA graphs and a fused AdamW that takes its rate as a tensor (HC_HAS_CUDA_GRAPH);
// elsewhere capture() says why not. Not the program (step-program.h) and not the JavaScript entries.
#pragma once

// Set by the build (CMakeLists.txt, scripts/build-native.mjs) where the cuda-graph probe compiles and links.
#ifndef HC_HAS_CUDA_GRAPH
#define HC_HAS_CUDA_GRAPH 0
#endif

#include <memory>
#include <string>

#include "op-call.h"

namespace hc {

class Engine;
class StepProgram;
struct StepHyper;

class CudaGraphRunner {
 public:
  /**
   * Captures one replay of `program` (nothing runs: stream capture records the kernels), after the program
   * has been replayed eagerly on this engine's device; returns null and the reason when it cannot.
   */
  static std::unique_ptr<CudaGraphRunner> capture(Engine& engine, StepProgram& program, const StepHyper& hyper, int warmups,
                                                  std::string* why);
  ~CudaGraphRunner();

  /** Sets the rate and step count, replays the graph, and returns copies of its outputs. */
  Tensors replay(const StepHyper& hyper);
  /** "captured", the warm-ups left before the capture, or why the capture failed. */
  std::string state() const;

  /** The device scalars a captured AdamW reads (null outside a capture): lr and step, float32, 0-dim. */
  static const Tensors* capturingHyper();

  struct Impl;

 private:
  explicit CudaGraphRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hc

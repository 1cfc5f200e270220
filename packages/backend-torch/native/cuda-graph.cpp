// CUDA graph capture of a step program's replay (see cuda-graph.h). The first `warmups` replays after
// capture() run uncaptured on the graph's own stream (real training steps: cuBLAS and the autograd device
// threads initialise there), the next one captures the graph and replays it, and every later one only
// replays it. A capture that fails leaves the program an uncaptured replay and keeps the reason.
// Not compiled into a build without CUDA graphs (HC_HAS_CUDA_GRAPH is 0): capture() says why instead.
#include "cuda-graph.h"

#include "engine.h"
#include "step-program.h"

#if HC_HAS_CUDA_GRAPH
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace hc {

#if HC_HAS_CUDA_GRAPH

namespace {
/** Set while a graph is being captured: the device scalars AdamW reads instead of its numbers. */
thread_local const Tensors* capturing = nullptr;
}  // namespace

struct CudaGraphRunner::Impl {
  Engine* engine;
  StepProgram* program;
  c10::cuda::CUDAStream stream;
  Tensors hyper;  // lr, step: float32 device scalars
  int warmupsLeft;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  std::vector<at::Tensor> regs;  // the captured registers (static memory of the graph's pool)
  std::string failure;

  Impl(Engine& e, StepProgram& p, int warmups)
      : engine(&e), program(&p), stream(c10::cuda::getStreamFromPool(false, e.device().index())), warmupsLeft(warmups) {}

  /** Runs fn on the graph's stream, ordered after everything queued on the current one, and the current one after it. */
  template <typename F>
  void onStream(F&& fn) {
    c10::cuda::CUDAStream current = c10::cuda::getCurrentCUDAStream(engine->device().index());
    at::cuda::CUDAEvent before;
    before.record(current);
    before.block(stream);
    {
      c10::cuda::CUDAStreamGuard guard(stream);
      fn();
    }
    at::cuda::CUDAEvent after;
    after.record(stream);
    after.block(current);
  }

  void setHyper(const StepHyper& h) {
    hyper[0].fill_(h.lr);
    hyper[1].fill_(h.step);
  }

  /** Captures one replay; on failure keeps the reason and leaves no graph. */
  bool captureNow(const StepHyper& h) {
    setHyper(h);
    auto g = std::make_unique<at::cuda::CUDAGraph>();
    bool began = false;
    try {
      onStream([&] {
        capturing = &hyper;
        g->capture_begin();
        began = true;
        program->execute(*engine, h, regs);
        g->capture_end();
        capturing = nullptr;
      });
    } catch (const std::exception& e) {
      capturing = nullptr;
      failure = std::string("the capture failed: ") + e.what();
      if (began) {
        try {
          g->capture_end();
        } catch (...) {
        }
      }
      regs.clear();
      return false;
    }
    graph = std::move(g);
    return true;
  }
};

const Tensors* CudaGraphRunner::capturingHyper() { return capturing; }

std::string CudaGraphRunner::state() const {
  const Impl& m = *impl_;
  if (m.graph) return "captured";
  if (!m.failure.empty()) return m.failure;
  return "warming up (" + std::to_string(m.warmupsLeft) + " uncaptured replays before the capture)";
}

std::unique_ptr<CudaGraphRunner> CudaGraphRunner::capture(Engine& engine, StepProgram& program, const StepHyper& hyper,
                                                          int warmups, std::string* why) {
  if (!engine.device().is_cuda()) {
    *why = "CUDA graphs need a cuda device";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>(engine, program, std::max(0, warmups));
  const auto options = at::TensorOptions().dtype(at::kFloat).device(engine.device());
  impl->hyper = {at::full({}, hyper.lr, options), at::full({}, hyper.step, options)};
  return std::unique_ptr<CudaGraphRunner>(new CudaGraphRunner(std::move(impl)));
}

Tensors CudaGraphRunner::replay(const StepHyper& hyper) {
  Impl& m = *impl_;
  Tensors out;
  if (!m.graph && (m.warmupsLeft > 0 || !m.failure.empty() || !m.captureNow(hyper))) {
    // an uncaptured replay on the graph's stream (a warm-up, or every step once a capture failed)
    if (m.warmupsLeft > 0) m.warmupsLeft--;
    std::vector<at::Tensor> regs;
    m.onStream([&] {
      m.program->execute(*m.engine, hyper, regs);
      out = m.program->outputs(regs);
    });
    return out;
  }
  m.setHyper(hyper);
  m.onStream([&] {
    m.graph->replay();
    // the graph rewrites its outputs on the next replay: the caller gets copies
    for (const at::Tensor& t : m.program->outputs(m.regs)) out.push_back(t.clone());
  });
  return out;
}

#else  // no CUDA graphs in this build

struct CudaGraphRunner::Impl {};

const Tensors* CudaGraphRunner::capturingHyper() { return nullptr; }

std::unique_ptr<CudaGraphRunner> CudaGraphRunner::capture(Engine& engine, StepProgram& program, const StepHyper& hyper,
                                                          int warmups, std::string* why) {
  *why = engine.device().is_cuda() ? "this build has no CUDA graphs (the cuda-graph probe failed; its log is in the build folder)"
                                   : "CUDA graphs need a cuda device";
  return nullptr;
}

Tensors CudaGraphRunner::replay(const StepHyper& hyper) { return {}; }

std::string CudaGraphRunner::state() const { return "none"; }

#endif

CudaGraphRunner::CudaGraphRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CudaGraphRunner::~CudaGraphRunner() = default;

}  // namespace hc

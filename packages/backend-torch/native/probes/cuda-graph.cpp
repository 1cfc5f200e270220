// Build probe (not part of the addon): compiles and links only where libtorch has CUDA graphs and a fused
// AdamW taking its learning rate as a tensor, the calls native/cuda-graph.cpp makes. CMakeLists.txt and
// build-native.mjs try it; where it fails the addon replays step programs without graphs.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <optional>
#include <vector>

int main() {
  if (!at::hasCUDA()) return 0;
  c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool(false, 0);
  at::cuda::CUDAEvent event;
  event.record(c10::cuda::getCurrentCUDAStream(0));
  event.block(stream);
  c10::cuda::CUDAStreamGuard guard(stream);
  at::cuda::CUDAGraph graph;
  const auto options = at::TensorOptions().dtype(at::kFloat).device(at::kCUDA);
  std::vector<at::Tensor> p{at::zeros({4}, options)}, g{at::ones({4}, options)}, m{at::zeros({4}, options)}, v{at::zeros({4}, options)};
  std::vector<at::Tensor> steps{at::ones({}, options)};
  const at::Tensor lr = at::full({}, 1e-3, options);
  graph.capture_begin();
  at::_fused_adamw_(p, g, m, v, {}, steps, lr, 0.9, 0.95, 0.1, 1e-8, false, false, std::nullopt, std::nullopt);
  graph.capture_end();
  graph.replay();
  return 0;
}

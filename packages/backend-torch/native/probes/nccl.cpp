// Build probe (not part of the addon): compiles and links only where libtorch was built with NCCL
// (ProcessGroupNCCL exported) and nccl.h is found. CMakeLists.txt and build-native.mjs try it.
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

int main() {
  c10d::TCPStoreOptions opts;
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", opts);
  auto options = c10d::ProcessGroupNCCL::Options::create();
  auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, 0, 1, options);
  return pg ? 0 : 1;
}

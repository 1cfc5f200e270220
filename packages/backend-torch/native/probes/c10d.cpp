// Build probe (not part of the addon): compiles and links only where libtorch exports c10d's TCPStore
// and ProcessGroupGloo and the gloo headers are installed. CMakeLists.txt and build-native.mjs try it.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

int main() {
  c10d::TCPStoreOptions opts;
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", opts);
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, 0, 1, options);
  return pg ? 0 : 1;
}

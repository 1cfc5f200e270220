// valueAndGrad's two native halves: leaf aliases that require grad, and one backward pass that frees the graph.
// Not the orchestration (tidy scope around the user's function): that is src/value-and-grad.ts.
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include <unordered_set>

#include "engine.h"

namespace hc {

Napi::Value Engine::GradLeaves(const Napi::CallbackInfo& info) {
  return run(info, "valueAndGrad", [&]() -> Napi::Value {
    std::vector<int64_t> ids;
    for (const at::Tensor& x : getList(info, 0)) {
      if (!x.is_floating_point()) throw std::runtime_error("valueAndGrad differentiates float tensors only (got an int32 input)");
      ids.push_back(table_.add(x.detach().requires_grad_(true)));  // shares storage: no copy
    }
    return toJsArray(info.Env(), ids);
  });
}

Napi::Value Engine::Gradients(const Napi::CallbackInfo& info) {
  return run(info, "valueAndGrad", [&]() -> Napi::Value {
    const at::Tensor& value = get(info, 0);
    const std::vector<at::Tensor> leaves = getList(info, 1);
    if (value.numel() != 1) {
      throw std::runtime_error("valueAndGrad needs f to return a scalar; it returned shape " + c10::str(value.sizes()));
    }
    std::vector<at::Tensor> grads(leaves.size());
    if (value.requires_grad()) {
      // retain_graph=false: saved activations are released as the backward pass walks the graph.
      grads = torch::autograd::grad({value}, leaves, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                    /*allow_unused=*/true);
    }
    if (autocast_) at::autocast::clear_cache();
    std::vector<int64_t> ids{table_.add(value.detach())};
    std::unordered_set<const void*> storages;
    for (size_t i = 0; i < leaves.size(); i++) {
      at::Tensor g = grads[i].defined() ? grads[i] : at::zeros_like(leaves[i]);  // unused input: zero gradient
      // Callers may update gradients in place (clipGradNorm): each must be dense and own its storage.
      const bool shared = !storages.insert(g.storage().unsafeGetStorageImpl()).second;
      if (shared || !g.is_non_overlapping_and_dense()) g = g.clone(at::MemoryFormat::Contiguous);
      ids.push_back(table_.add(g));
    }
    return toJsArray(info.Env(), ids);
  });
}

}  // namespace hc

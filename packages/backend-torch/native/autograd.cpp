// valueAndGrad's two native halves: leaf aliases that require grad, and one backward pass that frees the graph.
// Not the orchestration (tidy scope around the user's function): that is src/memory.ts.
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include <unordered_set>

#include "engine.h"

namespace hc {

Tensors Engine::gradLeaves(const Tensors& in, const OpCall& c) {
  Tensors leaves;
  for (const at::Tensor& x : in) {
    if (!x.is_floating_point()) throw std::runtime_error("valueAndGrad differentiates float tensors only (got an int32 input)");
    leaves.push_back(x.detach().requires_grad_(true));  // shares storage: no copy
  }
  return leaves;
}

Napi::Value Engine::GradLeaves(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::GradLeaves, intListArg(info, 0), {}, {}});
}

/** gradients(value, leaves) -> [value detached, one gradient per leaf]. */
Tensors Engine::gradients(const Tensors& in, const OpCall& c) {
  const at::Tensor& value = in[0];
  const Tensors leaves(in.begin() + 1, in.end());
  if (value.numel() != 1) {
    throw std::runtime_error("valueAndGrad needs f to return a scalar; it returned shape " + c10::str(value.sizes()));
  }
  Tensors grads(leaves.size());
  if (value.requires_grad()) {
    // retain_graph=false: saved activations are released as the backward pass walks the graph.
    grads = torch::autograd::grad({value}, leaves, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                  /*allow_unused=*/true);
  }
  if (autocast_) at::autocast::clear_cache();
  Tensors out{value.detach()};
  std::unordered_set<const void*> storages;
  for (size_t i = 0; i < leaves.size(); i++) {
    at::Tensor g = grads[i].defined() ? grads[i] : at::zeros_like(leaves[i]);  // unused input: zero gradient
    // Callers may update gradients in place (clipGradNorm): each must be dense and own its storage.
    const bool shared = !storages.insert(g.storage().unsafeGetStorageImpl()).second;
    if (shared || !g.is_non_overlapping_and_dense()) g = g.clone(at::MemoryFormat::Contiguous);
    out.push_back(g);
  }
  return out;
}

Napi::Value Engine::Gradients(const Napi::CallbackInfo& info) {
  std::vector<int64_t> ids{intArg(info, 0)};
  for (int64_t id : intListArg(info, 1)) ids.push_back(id);
  return call(info, OpCall{Op::Gradients, ids, {}, {}});
}

}  // namespace hc

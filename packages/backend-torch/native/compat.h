// Version switches between the libtorch releases the addon compiles against (Debian's 1.13 and 2.x).
// Not a feature probe at run time: every switch here is decided by the headers at compile time.
#pragma once

#include <torch/version.h>

#define HC_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// at::scaled_dot_product_attention: 2.0 (the `scale` argument from 2.1).
#define HC_HAS_SDPA HC_TORCH_AT_LEAST(2, 0)
#define HC_SDPA_HAS_SCALE HC_TORCH_AT_LEAST(2, 1)
// at::_fused_adamw_: CUDA from 2.0 (CPU from 2.4, unused here: the in-place loop is as fast on 2 cores).
#define HC_HAS_FUSED_ADAMW HC_TORCH_AT_LEAST(2, 0)
// at::autocast::set_autocast_enabled(device_type, bool): 2.4; older releases have set_enabled(bool).
#define HC_AUTOCAST_PER_DEVICE HC_TORCH_AT_LEAST(2, 4)

// Optional arguments of ATen functions: c10::optional on 1.x, std::optional from 2.4 (c10's is an alias there).
#if HC_TORCH_AT_LEAST(2, 4)
#include <optional>
namespace hc {
template <typename T>
using Optional = std::optional<T>;
}  // namespace hc
#else
#include <c10/util/Optional.h>
namespace hc {
template <typename T>
using Optional = c10::optional<T>;
}  // namespace hc
#endif

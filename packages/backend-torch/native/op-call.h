// One call of an engine op as data: which op, its tensor inputs by id, its numbers and its integer lists.
// Every op entry parses its JavaScript arguments into an OpCall, so an eager call, a recorded one and a
// replayed one run the same code. Not the math (the Engine's op methods) and not the JS argument parsing.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace hc {

using Tensors = std::vector<at::Tensor>;

/** The engine ops a step program can hold, one per tensor-making entry of the Engine. */
enum class Op : uint8_t {
  Unary,
  Binary,
  Cast,
  Sum,
  Max,
  Argmax,
  Reshape,
  Transpose,
  Slice,
  Concat,
  Gather,
  OneHot,
  Matmul,
  Linear,
  Dropout,
  LayerNorm,
  RmsNorm,
  Attention,
  CrossEntropy,
  LinearCrossEntropy,
  GradLeaves,
  Gradients,
  AdamW,
  AdamWMany,
  ClipGradNorm,
  FlagNonFinite,
  Count,
};

struct OpCall {
  Op op;
  /** Tensor inputs by table id, in the order the op reads them; -1 is an absent optional tensor. */
  std::vector<int64_t> ids;
  std::vector<double> numbers;
  std::vector<std::vector<int64_t>> lists;
};

/** What an op hands back to JavaScript: one tensor id, a list of ids, or nothing (it works in place). */
enum class OpResult : uint8_t { One, List, None };

class Engine;
/** An op's math: the resolved input tensors (undefined for -1) and the call's numbers and lists. */
using OpFn = Tensors (Engine::*)(const Tensors& in, const OpCall& call);

struct OpDef {
  const char* name;
  OpFn fn;
  OpResult result;
  /** Why a step program cannot hold this call (it would replay a value that changes every step), or null. */
  const char* (*unrecordable)(const OpCall& call);
};

/** The definition of an op (op-table.cpp). */
const OpDef& opDef(Op op);

// AdamW's numbers, in the order its entries take them; a replay overrides the rate and the step count.
constexpr size_t kAdamWLr = 0, kAdamWBeta1 = 1, kAdamWBeta2 = 2, kAdamWEps = 3, kAdamWDecay = 4, kAdamWStep = 5;

}  // namespace hc

// The engine's ops as a table: each op's name (in error messages and profiles), its math, what it hands back
// to JavaScript, and which calls a step program cannot hold. Not the math itself (the Engine's op methods).
#include "engine.h"

namespace hc {
namespace {

const char* seededDropout(const OpCall& c) {
  return c.numbers[0] > 0 ? "dropout draws a new mask every step (its seed changes)" : nullptr;
}

const char* seededAttentionDropout(const OpCall& c) {
  return c.numbers[2] > 0 ? "attention dropout draws a new mask every step (its seed changes)" : nullptr;
}

const OpDef kOps[] = {
    {"unary op", &Engine::unary, OpResult::One, nullptr},
    {"binary op", &Engine::binary, OpResult::One, nullptr},
    {"cast", &Engine::cast, OpResult::One, nullptr},
    {"sum", &Engine::sum, OpResult::One, nullptr},
    {"max", &Engine::max, OpResult::One, nullptr},
    {"argmax", &Engine::argmax, OpResult::One, nullptr},
    {"reshape", &Engine::reshape, OpResult::One, nullptr},
    {"transpose", &Engine::transpose, OpResult::One, nullptr},
    {"slice", &Engine::slice, OpResult::One, nullptr},
    {"concat", &Engine::concat, OpResult::One, nullptr},
    {"gather", &Engine::gather, OpResult::One, nullptr},
    {"oneHot", &Engine::oneHot, OpResult::One, nullptr},
    {"matmul", &Engine::matmul, OpResult::One, nullptr},
    {"linear", &Engine::linear, OpResult::One, nullptr},
    {"dropout", &Engine::dropout, OpResult::One, seededDropout},
    {"layerNorm", &Engine::layerNorm, OpResult::One, nullptr},
    {"rmsNorm", &Engine::rmsNorm, OpResult::One, nullptr},
    {"attention", &Engine::attention, OpResult::One, seededAttentionDropout},
    {"crossEntropy", &Engine::crossEntropy, OpResult::One, nullptr},
    {"linearCrossEntropy", &Engine::linearCrossEntropy, OpResult::One, nullptr},
    {"valueAndGrad", &Engine::gradLeaves, OpResult::List, nullptr},
    {"valueAndGrad", &Engine::gradients, OpResult::List, nullptr},
    {"adamw", &Engine::adamw, OpResult::None, nullptr},
    {"adamw", &Engine::adamwMany, OpResult::None, nullptr},
    {"clipGradNorm", &Engine::clipGradNorm, OpResult::One, nullptr},
    {"flagNonFinite", &Engine::flagNonFinite, OpResult::None, nullptr},
};

static_assert(sizeof(kOps) / sizeof(kOps[0]) == static_cast<size_t>(Op::Count), "one OpDef per Op, in Op's order");

}  // namespace

const OpDef& opDef(Op op) { return kOps[static_cast<size_t>(op)]; }

}  // namespace hc

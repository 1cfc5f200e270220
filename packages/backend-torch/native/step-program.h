// A training step as a program: the engine ops one eager step made, recorded once per shape, replayed with
// one call from JavaScript on new batch data written into fixed input buffers. Not the recording (a
// StepRecorder builds programs) and not CUDA graph capture (cuda-graph.cpp captures a program's replay).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "op-call.h"
#include "tensor-table.h"

namespace hc {

/** Where an instruction's input comes from: a fixed input buffer, a register, or a tensor the program holds. */
struct Ref {
  enum Kind : uint8_t { Absent, Input, Register, Held };
  Kind kind;
  int32_t index;
};

struct Instr {
  /** The call as recorded (its ids are the recording's; a replay reads `in` instead). */
  OpCall call;
  std::vector<Ref> in;
  std::vector<int32_t> out;
  /** Registers whose last reader this is: freed right after it, so a replay holds no more than eager did. */
  std::vector<int32_t> release;
};

/** What changes from one replayed step to the next besides the batch: AdamW's learning rate and step count. */
struct StepHyper {
  double lr;
  double step;
};

class CudaGraphRunner;

class StepProgram {
 public:
  StepProgram();
  ~StepProgram();

  /** Runs every instruction on the data in the input buffers; returns the outputs (fresh tensors). */
  Tensors run(Engine& engine, const StepHyper& hyper);

  /** The fixed buffers a replay copies its batch into, one per recorded input, in order. */
  const Tensors& inputs() const { return inputs_; }
  /** A tensor the recording read from before it began (a parameter, a moment) that is gone from the table, or -1. */
  int64_t staleId(const TensorTable& table) const;
  size_t size() const { return code_.size(); }

  /** CUDA: replays through a captured graph from here on (cuda-graph.cpp); null elsewhere. */
  std::unique_ptr<CudaGraphRunner> graph;

  /** One pass over the instructions; `regs` holds the registers (sized here) and the outputs stay in it. */
  void execute(Engine& engine, const StepHyper& hyper, std::vector<at::Tensor>& regs);
  /** The outputs of a pass whose registers are `regs`. */
  Tensors outputs(const std::vector<at::Tensor>& regs) const;

 private:
  friend class StepRecorder;
  at::Tensor outputOf(const Ref& r, const std::vector<at::Tensor>& regs) const;

  std::vector<Instr> code_;
  Tensors inputs_;
  /** Parameters, moments, guards and constants the step read: held by the program, updated in place by it. */
  Tensors held_;
  std::vector<int64_t> externalIds_;
  std::vector<Ref> outputs_;
  int32_t registers_ = 0;
};

/**
 * Builds a StepProgram from the ops an eager step makes while recording. Tensor ids map to references:
 * the declared inputs to input buffers, ids an op made to registers, and anything else to a tensor the
 * program holds: from before the recording (parameters, moments: updated in place by the step, so the
 * program keeps reading their current values; a replay checks they still exist) or made during it by a
 * host upload or a scalar (the step's constants, such as position indices).
 */
class StepRecorder {
 public:
  StepRecorder(const std::vector<int64_t>& inputIds, const Tensors& inputs, int64_t firstNewId);

  void record(const OpCall& call, const Tensors& in, const std::vector<int64_t>& outIds);
  /** The first reason the step cannot be a program (later ones are dropped). */
  void refuse(const std::string& why);
  const std::string& refusal() const { return refusal_; }
  /** The program whose outputs are these ids (taken off the recording, which is spent). */
  std::unique_ptr<StepProgram> finish(const std::vector<int64_t>& outputIds, const TensorTable& table);

 private:
  Ref refOf(int64_t id, const at::Tensor& t);

  std::unique_ptr<StepProgram> program_;
  std::unordered_map<int64_t, Ref> refs_;
  int64_t firstNewId_;
  std::string refusal_;
};

}  // namespace hc

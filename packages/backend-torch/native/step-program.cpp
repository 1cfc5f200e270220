// Recording a step's ops into a StepProgram, and replaying it: the same op methods eager calls run, on the
// same tensors in the same order, so a replay gives eager's bits. Not the JavaScript entries (engine.cpp)
// and not CUDA graphs (cuda-graph.cpp).
#include "step-program.h"

#include <ATen/record_function.h>

#include "cuda-graph.h"
#include "engine.h"

namespace hc {

StepProgram::StepProgram() = default;
StepProgram::~StepProgram() = default;

void StepProgram::execute(Engine& engine, const StepHyper& hyper, std::vector<at::Tensor>& regs) {
  regs.assign(static_cast<size_t>(registers_), at::Tensor());
  Tensors in;
  for (Instr& ins : code_) {
    const OpDef& def = opDef(ins.call.op);
    RECORD_USER_SCOPE(def.name);
    in.clear();
    for (const Ref& r : ins.in) {
      switch (r.kind) {
        case Ref::Absent: in.emplace_back(); break;
        case Ref::Input: in.push_back(inputs_[static_cast<size_t>(r.index)]); break;
        case Ref::Register: in.push_back(regs[static_cast<size_t>(r.index)]); break;
        case Ref::Held: in.push_back(held_[static_cast<size_t>(r.index)]); break;
      }
    }
    if (ins.call.op == Op::AdamW || ins.call.op == Op::AdamWMany) {
      ins.call.numbers[kAdamWLr] = hyper.lr;
      ins.call.numbers[kAdamWStep] = hyper.step;
    }
    Tensors out = (engine.*def.fn)(in, ins.call);
    if (out.size() != ins.out.size()) {
      throw std::runtime_error(std::string("step program: ") + def.name + " made " + std::to_string(out.size()) +
                               " tensors on replay, " + std::to_string(ins.out.size()) + " when recorded");
    }
    for (size_t k = 0; k < out.size(); k++) regs[static_cast<size_t>(ins.out[k])] = std::move(out[k]);
    for (int32_t r : ins.release) regs[static_cast<size_t>(r)].reset();
  }
}

at::Tensor StepProgram::outputOf(const Ref& r, const std::vector<at::Tensor>& regs) const {
  switch (r.kind) {
    case Ref::Input: return inputs_[static_cast<size_t>(r.index)];
    case Ref::Register: return regs[static_cast<size_t>(r.index)];
    case Ref::Held: return held_[static_cast<size_t>(r.index)];
    case Ref::Absent: break;
  }
  return at::Tensor();
}

Tensors StepProgram::outputs(const std::vector<at::Tensor>& regs) const {
  Tensors out;
  for (const Ref& r : outputs_) out.push_back(outputOf(r, regs));
  return out;
}

Tensors StepProgram::run(Engine& engine, const StepHyper& hyper) {
  if (graph) return graph->replay(hyper);
  std::vector<at::Tensor> regs;
  execute(engine, hyper, regs);
  return outputs(regs);
}

int64_t StepProgram::staleId(const TensorTable& table) const {
  for (int64_t id : externalIds_) {
    if (!table.has(id)) return id;
  }
  return -1;
}

StepRecorder::StepRecorder(const std::vector<int64_t>& inputIds, const Tensors& inputs, int64_t firstNewId)
    : program_(std::make_unique<StepProgram>()), firstNewId_(firstNewId) {
  for (size_t k = 0; k < inputIds.size(); k++) {
    refs_[inputIds[k]] = Ref{Ref::Input, static_cast<int32_t>(k)};
    // fresh buffers of the same shape, dtype and device: the recording's own inputs belong to JavaScript
    program_->inputs_.push_back(at::empty_like(inputs[k], at::MemoryFormat::Contiguous));
  }
}

void StepRecorder::refuse(const std::string& why) {
  if (refusal_.empty()) refusal_ = why;
}

Ref StepRecorder::refOf(int64_t id, const at::Tensor& t) {
  if (id < 0) return Ref{Ref::Absent, -1};
  auto it = refs_.find(id);
  if (it != refs_.end()) return it->second;
  // Not made by a recorded op: a tensor from before the recording (checked at replay), or a constant of the step.
  StepProgram& p = *program_;
  const Ref held{Ref::Held, static_cast<int32_t>(p.held_.size())};
  p.held_.push_back(t);
  if (id < firstNewId_) p.externalIds_.push_back(id);
  refs_[id] = held;
  return held;
}

void StepRecorder::record(const OpCall& call, const Tensors& in, const std::vector<int64_t>& outIds) {
  if (!refusal_.empty()) return;
  Instr ins{call, {}, {}, {}};
  ins.call.ids.clear();
  for (size_t k = 0; k < call.ids.size(); k++) ins.in.push_back(refOf(call.ids[k], in[k]));
  for (int64_t id : outIds) {
    const int32_t r = program_->registers_++;
    ins.out.push_back(r);
    refs_[id] = Ref{Ref::Register, r};
  }
  program_->code_.push_back(std::move(ins));
}

std::unique_ptr<StepProgram> StepRecorder::finish(const std::vector<int64_t>& outputIds, const TensorTable& table) {
  StepProgram& p = *program_;
  for (int64_t id : outputIds) p.outputs_.push_back(refOf(id, table.get(id)));
  // liveness: each register is freed after its last reader (outputs are never freed)
  std::vector<int64_t> lastUse(static_cast<size_t>(p.registers_), -1);
  for (size_t i = 0; i < p.code_.size(); i++) {
    for (const Ref& r : p.code_[i].in) {
      if (r.kind == Ref::Register) lastUse[static_cast<size_t>(r.index)] = static_cast<int64_t>(i);
    }
    for (int32_t r : p.code_[i].out) {
      if (lastUse[static_cast<size_t>(r)] < 0) lastUse[static_cast<size_t>(r)] = static_cast<int64_t>(i);  // never read: freed at once
    }
  }
  for (const Ref& r : p.outputs_) {
    if (r.kind == Ref::Register) lastUse[static_cast<size_t>(r.index)] = -2;
  }
  for (size_t r = 0; r < lastUse.size(); r++) {
    if (lastUse[r] >= 0) p.code_[static_cast<size_t>(lastUse[r])].release.push_back(static_cast<int32_t>(r));
  }
  return std::move(program_);
}

}  // namespace hc

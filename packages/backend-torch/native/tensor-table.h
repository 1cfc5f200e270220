// The id -> at::Tensor table with tidy scopes: how tensors cross into JavaScript as plain integers.
// Not reference counting: JavaScript frees ids explicitly (dispose, scope end); libtorch refcounts storage.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hc {

class TensorTable {
 public:
  int64_t add(at::Tensor t) {
    const int64_t id = next_++;
    tensors_.emplace(id, std::move(t));
    if (!scopes_.empty()) scopes_.back().push_back(id);
    return id;
  }

  const at::Tensor& get(int64_t id) const {
    auto it = tensors_.find(id);
    if (it == tensors_.end()) {
      throw std::runtime_error("tensor #" + std::to_string(id) +
                               " was disposed (or belongs to another backend); keep() tensors you use after a tidy");
    }
    return it->second;
  }

  void dispose(int64_t id) {
    tensors_.erase(id);
    kept_.erase(id);
  }

  /** Exempts a tensor from every enclosing scope's cleanup (it lives until disposed). */
  void keep(int64_t id) {
    if (tensors_.count(id)) kept_.insert(id);
  }

  void beginScope() { scopes_.emplace_back(); }

  /** Frees the scope's tensors except `results` (handed to the parent scope) and kept ones. */
  void endScope(const std::vector<int64_t>& results) {
    if (scopes_.empty()) throw std::runtime_error("endScope without beginScope");
    std::vector<int64_t> ids = std::move(scopes_.back());
    scopes_.pop_back();
    std::unordered_set<int64_t> keepIds(results.begin(), results.end());
    for (int64_t id : ids) {
      if (keepIds.count(id)) {
        if (!scopes_.empty()) scopes_.back().push_back(id);
      } else if (!kept_.count(id)) {
        tensors_.erase(id);
      }
    }
  }

  bool has(int64_t id) const { return tensors_.count(id) > 0; }
  /** The id the next tensor gets (ids only grow, so every id below it was made before). */
  int64_t nextId() const { return next_; }

  size_t size() const { return tensors_.size(); }

  /** Bytes of the distinct storages behind the table's tensors (views of one storage count once). */
  int64_t storageBytes() const {
    std::unordered_set<const void*> seen;
    int64_t bytes = 0;
    for (const auto& [id, t] : tensors_) {
      if (!t.defined() || !t.has_storage()) continue;
      if (seen.insert(t.storage().unsafeGetStorageImpl()).second) bytes += static_cast<int64_t>(t.storage().nbytes());
    }
    return bytes;
  }
  size_t depth() const { return scopes_.size(); }

  void clear() {
    tensors_.clear();
    kept_.clear();
    scopes_.clear();
  }

 private:
  std::unordered_map<int64_t, at::Tensor> tensors_;
  std::unordered_set<int64_t> kept_;
  std::vector<std::vector<int64_t>> scopes_;
  int64_t next_ = 1;
};

}  // namespace hc

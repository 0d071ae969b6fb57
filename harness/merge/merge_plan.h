// Which tensors a merged Mixtral has and where each comes from: the one list
// that the input checks, the in-memory assembly and the writer all walk, so
// they cannot disagree about a name or a shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/io/model_config.h"

namespace moebench::merge {

enum class Part {
  Embed, InputNorm, Q, K, V, O, PostNorm, FinalNorm, LmHead,  // from the base model
  Router,                                                     // from the gates
  ExpertGate, ExpertUp, ExpertDown,                           // from expert `expert`'s MLP
};

struct TensorRef {
  Part part;
  int64_t layer = -1;   // -1 for embed, final norm, lm_head
  int64_t expert = -1;  // for expert parts
};

bool from_base(Part part);
bool from_expert(Part part);

// Every tensor of the merged model (v4 granularity: one matrix per expert), in
// the order they are written: embeddings, then per layer its attention, norms,
// router and experts (so a shard holds whole layers), the final norm, and
// lm_head unless the embeddings are tied (mergekit copies it only if present).
std::vector<TensorRef> merged_tensors(const io::ModelConfig& merged);

// Name of the source tensor in the base or expert directory (dense layout,
// e.g. "model.layers.3.mlp.gate_proj.weight"); empty for the router.
std::string source_name(const TensorRef& ref);
// Name in the merged model's transformers-v4 layout
// (e.g. "model.layers.3.block_sparse_moe.experts.1.w1.weight").
std::string v4_name(const TensorRef& ref);
// Shape in the merged model (= in the source).
std::vector<int64_t> tensor_shape(const io::ModelConfig& merged, const TensorRef& ref);

}  // namespace moebench::merge

// Gates on disk, for ablations: `moebench gates recipe.yml --out gates.safetensors`
// computes only the routers, and `--gates FILE` puts them into any model with
// the same shape, so changing prompts never reads or rewrites an expert.
//
// Format: a safetensors file holding, per layer l, the float32 tensor
// "model.layers.<l>.block_sparse_moe.gate.weight" [experts, hidden] - the
// router's own name in a transformers-v4 Mixtral, so the file is also a valid
// partial checkpoint - and __metadata__ {"format": "pt", "gate_mode": ...,
// "base_model": ..., "recipe": ...}.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "harness/merge/gate_builder.h"
#include "harness/merge/gate_diagnostics.h"
#include "harness/merge/merge_recipe.h"

namespace moebench::merge {

// Atomic (temporary file, then rename).
void write_gates_file(const std::filesystem::path& path, const GateSet& gates,
                      const std::map<std::string, std::string>& metadata);

// Reads every layer's gates. InputError naming the file and the layer when a
// layer is missing, the layers are not 0..L-1, or shapes or dtypes disagree.
GateSet read_gates_file(const std::filesystem::path& path);

// The gates a merge uses: read from options.gates_file when set (checked
// against the merged model's layers x experts x hidden), else compute_gates().
GateSet recipe_gates(const MergeInputs& inputs, const MergeOptions& options);

// `moebench gates`: the recipe's gates only (InputScope::GatesOnly: the base
// and its tokenizer; no expert is resolved or read), diagnosed and written to
// `out` with write_gates_file.
struct GatesSummary {
  GateSet gates;
  GateDiagnostics diagnostics;
  double seconds = 0;  // computing the gates
};
GatesSummary recipe_gates_to_file(const MergeRecipe& recipe, const std::filesystem::path& out,
                                  const MergeOptions& options);

// InputError naming `file` unless `gates` has the given shape.
void check_gates_shape(const GateSet& gates, int64_t layers, int64_t experts, int64_t hidden,
                       const std::string& file);

}  // namespace moebench::merge

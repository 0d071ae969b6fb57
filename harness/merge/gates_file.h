// Gates on disk, for ablations: `moebench gates recipe.yml --out gates.safetensors`
// computes only the routers, and `--gates FILE` puts them into any model with
// the same shape, so changing prompts never reads or rewrites an expert.
//
// Format: a safetensors file holding, per layer l, the float32 tensor
// "model.layers.<l>.block_sparse_moe.gate.weight" [experts, hidden] - the
// router's own name in a transformers-v4 Mixtral, so the file is also a valid
// partial checkpoint - and __metadata__ {"format": "pt", "gate_mode": ...,
// "base_model": ..., "recipe": ..., "experts": JSON [{"source_model",
// "positive_prompts", "negative_prompts"}, ...]}: what the gates were made
// from, so that a run with them records their prompts, and a file made for
// other experts (or another expert order) is refused.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "harness/merge/gate_builder.h"
#include "harness/merge/gate_diagnostics.h"
#include "harness/merge/merge_recipe.h"
#include "harness/model/language_model.h"

namespace moebench::merge {

// Atomic (temporary file, then rename).
void write_gates_file(const std::filesystem::path& path, const GateSet& gates,
                      const std::map<std::string, std::string>& metadata);

// What a gates file says it was made from (its __metadata__); fields the
// file does not have are empty (files of other tools, or of older moebench).
struct GatesLineage {
  std::string gate_mode, base_model, recipe;
  std::vector<ExpertRecipe> experts;  // source_model and prompts only
};
// The metadata of `recipe`'s gates, as write_gates_file stores it.
std::map<std::string, std::string> gates_metadata(const MergeRecipe& recipe, uint64_t seed);
// InputError naming the file when its metadata is malformed.
GatesLineage read_gates_lineage(const std::filesystem::path& path);
// InputError naming `file` unless the gates fit `recipe`: a gate mode
// moebench knows, and the recipe's experts (source models, in order) when the
// file names its own. Equal shapes are not enough: gates made for experts in
// another order route every token to the wrong expert.
void check_gates_fit(const GatesLineage& lineage, const MergeRecipe& recipe, const std::string& file);

// A fingerprint (16 hex digits) of the gates' shape and float32 values: the
// identity of a router set in a run's lineage.
std::string gates_hash(const GateSet& gates);
// The routers of an MoE model as it holds them, in float32 (what it routes with).
GateSet model_gates(const model::LanguageModel& model);

// Reads every layer's gates. InputError naming the file and the layer when a
// layer is missing, the layers are not 0..L-1, or shapes or dtypes disagree.
GateSet read_gates_file(const std::filesystem::path& path);

// The gates a merge uses: read from options.gates_file when set (checked
// against the merged model's layers x experts x hidden and check_gates_fit),
// else compute_gates().
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

// A frankenMoE built in memory, without the detour through disk: the base's
// attention, norms, embeddings and LM head plus each expert's MLP, bound
// straight from the memory-mapped safetensors of the sources. The evaluation
// layers get a model::LanguageModel, exactly as if the merged Mixtral had been
// written and loaded with LanguageModel::load.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "harness/merge/gate_builder.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/merge_options.h"
#include "harness/merge/merge_recipe.h"
#include "harness/model/language_model.h"

namespace moebench::model {
struct ModelWeights;
struct TensorPlacement;
}  // namespace moebench::model

namespace moebench::merge {

// The merged Mixtral's weights on `placement`. On CPU, when the placement's
// dtype is the recipe's output dtype and the sources already hold it, every
// base and expert tensor is a zero-copy view of its file (one mapping per
// source directory, so the base's tensors are never duplicated, and only the
// MLP tensors of an expert are ever read). Otherwise each tensor goes through
// the output dtype first, as the written model would, and its source pages
// are released once copied.
std::shared_ptr<const model::ModelWeights> assemble_moe_weights(const MergeInputs& inputs,
                                                                const GateSet& gates,
                                                                const model::TensorPlacement& placement,
                                                                uint64_t seed);

// `weights` (an assembly of `inputs`) with its routers replaced by `gates`,
// cast as the written model would hold them (merged_tensor) and placed as the
// old routers are. Every other tensor is shared, not copied or read again:
// the variants of an ablation are built this way from one assembly.
// With `experts_per_token` > 0 the model routes each token to that many
// experts (and its config says so).
std::shared_ptr<const model::ModelWeights> with_gates(const model::ModelWeights& weights,
                                                      const MergeInputs& inputs, const GateSet& gates,
                                                      int64_t experts_per_token = 0);

// Parses nothing: opens the recipe's models (open_merge_inputs, InputScope::Full),
// takes the gates (recipe_gates: computed on options.device, or read from
// options.gates_file), and assembles the model on
// load.device / load.dtype ("auto" = the recipe's dtype).
std::shared_ptr<model::LanguageModel> load_merged_model(const MergeRecipe& recipe,
                                                        const model::LoadOptions& load,
                                                        const MergeOptions& options = {});
// The same with `gates` already at hand (checked against the merged model's
// shape; InputError naming `gates_origin` otherwise).
std::shared_ptr<model::LanguageModel> load_merged_model(const MergeRecipe& recipe, const GateSet& gates,
                                                        const std::string& gates_origin,
                                                        const model::LoadOptions& load,
                                                        const MergeOptions& options = {});

}  // namespace moebench::merge

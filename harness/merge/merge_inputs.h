// The models a recipe names, resolved, opened and checked against each other
// before any heavy work starts: a bad recipe fails in milliseconds, before a
// gate forward pass or a byte of output.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "harness/io/dtype.h"
#include "harness/io/model_config.h"
#include "harness/io/tensor_store.h"
#include "harness/io/tokenizer.h"
#include "harness/merge/merge_options.h"
#include "harness/merge/merge_recipe.h"
#include "harness/merge/model_resolver.h"

namespace moebench::merge {

struct SourceModel {
  ResolvedModel where;
  io::ModelConfig config;
  // Memory-mapped tensors; one store per distinct directory, shared by every
  // expert (and the base) that names it, so nothing is mapped twice.
  std::shared_ptr<const io::TensorStore> store;
  std::string field;  // "base_model" or "experts[i].source_model", for messages
};

struct MergeInputs {
  MergeRecipe recipe;
  SourceModel base;
  std::vector<SourceModel> experts;               // empty when opened for gates only
  std::shared_ptr<const io::Tokenizer> tokenizer;  // the base's
  io::DType out_dtype = io::DType::F32;           // dtype of the written tensors
  nlohmann::ordered_json config_json;             // the merged model's config.json
  io::ModelConfig config;                         // the same, parsed
};

enum class InputScope {
  GatesOnly,  // base model and tokenizer: experts are not even resolved
  Full,       // also every expert, with each MLP tensor's shape and dtype checked
};

// Resolves the base and refuses an unsupported architecture, then checks the
// recipe (check_recipe), resolves and opens the other models and checks:
// Llama or Mistral architectures only, the same model_type everywhere (as
// mergekit's Mixtral output requires), experts whose hidden/intermediate size,
// layer count and vocabulary equal the base's, a base tokenizer.model, and
// every tensor the merge will read present with the expected shape and a
// floating dtype. Reads config.json files and safetensors headers only.
MergeInputs open_merge_inputs(const MergeRecipe& recipe, const MergeOptions& options, InputScope scope);

// InputError "<flag>: '<out>' ..." when the output path `out` is, contains or
// lies inside one of the recipe's inputs: the recipe file, options.gates_file,
// the base model's directory and every expert's, compared through symlinks.
// Run it before any work: with --overwrite such an output would delete its own
// sources. A model that does not resolve is skipped (open_merge_inputs reports
// it; `moebench gates` does not even need the experts).
void check_output_apart_from_inputs(const MergeRecipe& recipe, const MergeOptions& options,
                                    const std::filesystem::path& out, const std::string& flag);

// The directories relative model paths are tried against (see MergeOptions).
std::vector<std::filesystem::path> model_search_dirs(const MergeRecipe& recipe,
                                                     const MergeOptions& options);

}  // namespace moebench::merge

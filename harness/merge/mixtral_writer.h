// `moebench merge`: a recipe written out as a Mixtral directory that
// transformers, vLLM and llama.cpp's converter load:
//   config.json                     as mergekit writes it (mixtral_config.h)
//   model.safetensors, or           one file when it fits in max_shard_bytes,
//   model-0000i-of-0000N.safetensors + model.safetensors.index.json otherwise
//                                   ({"format": "pt"} metadata, tensors in the
//                                   v4 layout unless options.layout is "v5")
//   tokenizer.model, tokenizer_config.json, special_tokens_map.json,
//   tokenizer.json, added_tokens.json   the base's, those that exist
//   mergekit_moe_config.yml         the recipe, verbatim
// Streaming: tensors are produced and written one at a time and their source
// pages released, so peak memory is about the largest tensor (a v5 fused
// expert tensor at most), not the model. Atomic: everything is written into a
// hidden sibling directory that is renamed into place at the end; a failed or
// interrupted merge leaves no output directory (a killed one leaves only its
// hidden sibling, which the next write of any output in that directory removes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/merge/gate_builder.h"
#include "harness/merge/gate_diagnostics.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/merge_options.h"

namespace moebench::merge {

class StagedDirectory;

struct MergeSummary {
  std::filesystem::path out_dir;
  std::vector<std::string> files;  // written, relative to out_dir, sorted
  int64_t tensors = 0;             // as named in the written layout
  uint64_t tensor_bytes = 0;
  double gate_seconds = 0, write_seconds = 0;
  GateDiagnostics diagnostics;
  std::vector<std::string> notes;  // recipe_notes()
  // "base_model 'org/name': /dir (Hugging Face cache)", then each expert's.
  std::vector<std::string> sources;
};

// Writes the merged model of `inputs` (InputScope::Full) with `gates`. Uses
// options.max_shard_bytes, layout, overwrite, progress, seed and
// on_tensor_written. InputError when out_dir exists (unless overwrite) or
// cannot be created; any error leaves out_dir as it was.
MergeSummary write_mixtral(const MergeInputs& inputs, const GateSet& gates,
                           const std::filesystem::path& out_dir, const MergeOptions& options);
// The same into a staging directory the caller made (and so fixed what
// --overwrite may replace) before slow work; commits it.
MergeSummary write_mixtral(const MergeInputs& inputs, const GateSet& gates, StagedDirectory& out,
                           const MergeOptions& options);

// The whole command: checks out_dir is apart from every input, opens and
// checks the inputs, stages out_dir, takes the gates (recipe_gates), diagnoses
// them and writes the model.
MergeSummary merge_recipe_to_directory(const MergeRecipe& recipe, const std::filesystem::path& out_dir,
                                       const MergeOptions& options);

// "5GB" -> 5e9, "500MB", "2GiB" -> 2^31, "1.5GB", "123" (bytes): the sizes
// transformers' max_shard_size accepts (KB/MB/GB/TB powers of 1000, KiB/MiB/
// GiB/TiB powers of 1024). InputError naming `what` otherwise.
uint64_t parse_byte_size(const std::string& text, const std::string& what);

}  // namespace moebench::merge

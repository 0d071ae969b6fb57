// Where a recipe's base_model / source_model lives: a local directory, or a
// Hugging Face repo id already in the local Hugging Face cache. Nothing is ever
// downloaded; a model that is in neither place is an InputError that says
// everywhere it looked.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace moebench::merge {

struct ResolvedModel {
  std::string reference;       // as written in the recipe
  std::filesystem::path dir;   // absolute directory with config.json, safetensors, tokenizer
  std::string origin;          // "local directory" or "Hugging Face cache"
};

// The hub cache huggingface_hub itself would use: $HF_HUB_CACHE, else
// $HUGGINGFACE_HUB_CACHE (legacy), else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
std::filesystem::path hf_hub_cache();

// Resolves `reference` (the value of recipe field `field`, for messages):
//  1. an absolute path must be a directory;
//  2. a relative path is tried against each of `search_dirs` in order;
//  3. otherwise a repo id "org/name" or "org/name@revision" is looked up in
//     hf_hub_cache(): models--org--name/refs/<revision> names the snapshot
//     (revision "main" by default; a commit hash names snapshots/<hash>
//     directly; without refs, a single snapshot is taken).
ResolvedModel resolve_model(const std::string& reference, const std::string& field,
                            const std::vector<std::filesystem::path>& search_dirs);

}  // namespace moebench::merge

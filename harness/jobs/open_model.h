// "The model" of every command and plan: a Hugging Face directory, or a
// mergekit-moe recipe merged in memory, optionally with its routers replaced
// by a `moebench gates` file (a gate ablation without rewriting any expert).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/model/language_model.h"

namespace moebench::jobs {

struct OpenModelOptions {
  model::LoadOptions load;  // device, dtype, threads
  // Router weights replacing every MoE layer's router: a safetensors file as
  // `moebench gates` writes (v4 or v5 router names). Empty: the model's own.
  std::string gates_file;
  // Where a recipe's relative base_model / source_model paths are looked for,
  // in order. Empty: the recipe's folder, then the working directory.
  std::vector<std::filesystem::path> models_dir;
  uint64_t seed = 0;  // random / uniform_random gates and noise_scale of a recipe
};

// Opens `path` (directory or .yml/.yaml recipe). InputError naming the file
// for anything unusable, including gates that do not fit the model.
std::shared_ptr<model::LanguageModel> open_model(const std::string& path, const OpenModelOptions& options);

}  // namespace moebench::jobs

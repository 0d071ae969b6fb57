// Helpers shared by the merge tests: reference paths, generated tiny models
// with MLP-only differences, a fake Hugging Face cache, scoped env and cwd.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/merge/merge_options.h"
#include "harness/model/tiny_model.h"

namespace moebench::merge::testing {

namespace fs = std::filesystem;

fs::path reference_dir();                 // ../shared/reference
fs::path source_dir();                    // the checkout ($MOEBENCH_SOURCE_DIR overrides)
nlohmann::json read_json(const fs::path& path);

// Options resolving relative recipe paths against ../shared/reference, as the
// reference configs expect; progress bars off.
MergeOptions reference_options();

// A small Llama spec (2 layers, hidden 64) with the given seed.
model::TinyModelSpec tiny_llama(uint64_t seed);

// `base_dir` with every MLP matrix replaced by `donor_dir`'s (same shapes):
// the frankenMoE situation of fine-tunes that share attention with their base.
void write_mlp_variant(const fs::path& base_dir, const fs::path& donor_dir, const fs::path& out_dir);

// A base tiny Llama and `n` experts that differ from it only in their MLPs,
// generated once per process under a scratch directory:
// <root>/base, <root>/expert-0, ...; returns <root>.
fs::path tiny_family(int n = 3);

// Adds `model_dir` to a Hugging Face hub cache at `cache` as repo `repo_id`
// (models--org--name/refs/main + snapshots/<hash>/ with symlinked files).
void add_to_fake_hf_cache(const fs::path& cache, const std::string& repo_id, const fs::path& model_dir);

// Sets (or unsets, for nullopt) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value);
  ~ScopedEnv();

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Changes the working directory for one scope.
class ScopedCwd {
 public:
  explicit ScopedCwd(const fs::path& dir);
  ~ScopedCwd();

 private:
  fs::path old_;
};

// Largest |a - b| over two logit matrices of the same shape.
double max_abs_diff(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b);
// Entries (excluding names) of the directory, sorted.
std::vector<std::string> list_dir(const fs::path& dir);

}  // namespace moebench::merge::testing

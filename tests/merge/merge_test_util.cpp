#include "tests/merge/merge_test_util.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>

#include "harness/io/safetensors_writer.h"
#include "harness/io/tensor_store.h"
#include "tests/testing/test_env.h"
#include "tests/testing/tiny_models.h"

namespace moebench::merge::testing {

fs::path reference_dir() { return moebench::testing::shared_dir() / "reference"; }

fs::path source_dir() {
  const char* dir = std::getenv("MOEBENCH_SOURCE_DIR");
  // CMake compiles sources by absolute path: this file is tests/merge/ of the checkout.
  return dir && *dir ? fs::path(dir) : (fs::path(__FILE__).parent_path() / ".." / "..").lexically_normal();
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

MergeOptions reference_options() {
  MergeOptions options;
  options.search_dirs = {reference_dir()};
  options.progress = false;
  return options;
}

model::TinyModelSpec tiny_llama(uint64_t seed) {
  model::TinyModelSpec spec;
  spec.arch = "llama";
  spec.seed = seed;
  return spec;
}

void write_mlp_variant(const fs::path& base_dir, const fs::path& donor_dir, const fs::path& out_dir) {
  fs::create_directories(out_dir);
  for (const auto& entry : fs::directory_iterator(base_dir))
    if (entry.path().filename() != "model.safetensors") fs::copy_file(entry.path(), out_dir / entry.path().filename());
  auto base = io::TensorStore::open(base_dir), donor = io::TensorStore::open(donor_dir);
  std::vector<io::TensorData> tensors;
  for (const std::string& name : base->names()) {
    const bool mlp = name.find(".mlp.") != std::string::npos;
    io::TensorView view = (mlp ? donor : base)->get(name);
    tensors.push_back({{name, view.dtype, view.shape}, view.data});
  }
  io::write_safetensors(out_dir / "model.safetensors", tensors);
}

fs::path tiny_family(int n) {
  static std::mutex mu;
  static moebench::testing::ScratchDir scratch;
  std::lock_guard<std::mutex> lock(mu);
  const fs::path root = scratch.path() / ("family-" + std::to_string(n));
  if (fs::exists(root / "base")) return root;
  const fs::path base = model::testing::tiny_model_dir(tiny_llama(500), "family-base");
  fs::create_directories(root);
  fs::create_directory_symlink(base, root / "base");
  for (int i = 0; i < n; ++i) {
    const fs::path donor = model::testing::tiny_model_dir(tiny_llama(501 + i), "family-donor-" + std::to_string(i));
    write_mlp_variant(base, donor, root / ("expert-" + std::to_string(i)));
  }
  return root;
}

void add_to_fake_hf_cache(const fs::path& cache, const std::string& repo_id, const fs::path& model_dir) {
  std::string folder = "models--" + repo_id;
  for (size_t p = folder.find('/'); p != std::string::npos; p = folder.find('/')) folder.replace(p, 1, "--");
  const std::string hash = "0123456789abcdef0123456789abcdef" + std::to_string(repo_id.size() % 10) + "0000000";
  const fs::path root = cache / folder, snapshot = root / "snapshots" / hash;
  fs::create_directories(snapshot);
  fs::create_directories(root / "refs");
  std::ofstream(root / "refs" / "main") << hash;
  // huggingface_hub stores files as blobs and symlinks them into snapshots.
  for (const auto& entry : fs::directory_iterator(model_dir))
    fs::create_symlink(fs::absolute(entry.path()), snapshot / entry.path().filename());
}

ScopedEnv::ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) old_ = old;
  if (value) setenv(name_.c_str(), value->c_str(), 1);
  else unsetenv(name_.c_str());
}

ScopedEnv::~ScopedEnv() {
  if (old_) setenv(name_.c_str(), old_->c_str(), 1);
  else unsetenv(name_.c_str());
}

ScopedCwd::ScopedCwd(const fs::path& dir) : old_(fs::current_path()) { fs::current_path(dir); }
ScopedCwd::~ScopedCwd() { fs::current_path(old_); }

double max_abs_diff(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double diff = a.size() == b.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i].size() != b[i].size()) return INFINITY;
    for (size_t j = 0; j < a[i].size(); ++j) diff = std::max(diff, std::abs(double(a[i][j]) - b[i][j]));
  }
  return diff;
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace moebench::merge::testing

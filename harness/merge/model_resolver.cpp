#include "harness/merge/model_resolver.h"

#include <fmt/ranges.h>

#include <cstdlib>
#include <regex>

#include "harness/util/file_input.h"
#include "harness/util/error.h"

namespace fs = std::filesystem;

namespace moebench::merge {
namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

fs::path absolute_dir(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? p : abs;
}

// Hugging Face repo ids: "name" or "org/name", letters, digits, '-', '_', '.'
// (no "..", no leading '.'), optionally followed by "@revision".
bool split_repo_id(const std::string& reference, std::string& repo, std::string& revision) {
  static const std::regex kRepoId(R"(([A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?)(?:@([\w./-]+))?)");
  std::smatch m;
  if (!std::regex_match(reference, m, kRepoId) || reference.find("..") != std::string::npos) return false;
  repo = m[1];
  revision = m[2].matched ? std::string(m[2]) : "main";
  return true;
}

// The snapshot directory of `repo` at `revision` in `cache`, or empty with
// `tried` describing what was looked at.
fs::path find_snapshot(const fs::path& cache, const std::string& repo, const std::string& revision,
                       std::string& tried) {
  std::string folder = "models--" + repo;
  for (size_t p = folder.find('/'); p != std::string::npos; p = folder.find('/')) folder.replace(p, 1, "--");
  const fs::path root = cache / folder;
  tried = root.string();
  if (!is_dir(root)) return {};
  const fs::path ref = root / "refs" / revision;
  std::error_code ec;
  if (fs::is_regular_file(ref, ec)) {
    std::string hash = read_input_file(ref, 4096);  // a commit hash and a newline
    while (!hash.empty() && std::isspace(static_cast<unsigned char>(hash.back()))) hash.pop_back();
    tried = (root / "snapshots" / hash).string() + " (from refs/" + revision + ")";
    return is_dir(root / "snapshots" / hash) ? root / "snapshots" / hash : fs::path();
  }
  if (is_dir(root / "snapshots" / revision)) return root / "snapshots" / revision;  // a commit hash
  std::vector<fs::path> snapshots;
  if (is_dir(root / "snapshots"))
    for (const auto& entry : fs::directory_iterator(root / "snapshots", ec))
      if (entry.is_directory(ec)) snapshots.push_back(entry.path());
  tried = fmt::format("{} (no refs/{}; {} snapshot(s))", root.string(), revision, snapshots.size());
  // Without refs (a hand-copied cache) a single snapshot is unambiguous.
  return revision == "main" && snapshots.size() == 1 ? snapshots[0] : fs::path();
}

}  // namespace

fs::path hf_hub_cache() {
  if (const char* v = env("HF_HUB_CACHE")) return v;
  if (const char* v = env("HUGGINGFACE_HUB_CACHE")) return v;
  if (const char* v = env("HF_HOME")) return fs::path(v) / "hub";
  if (const char* v = env("XDG_CACHE_HOME")) return fs::path(v) / "huggingface" / "hub";
  const char* home = env("HOME");
  return fs::path(home ? home : "/") / ".cache" / "huggingface" / "hub";
}

ResolvedModel resolve_model(const std::string& reference, const std::string& field,
                            const std::vector<fs::path>& search_dirs) {
  const fs::path path(reference);
  if (path.is_absolute()) {
    if (is_dir(path)) return {reference, absolute_dir(path), "local directory"};
    fail_input(field, "model directory '{}' does not exist", reference);
  }
  std::vector<std::string> looked;
  for (const fs::path& dir : search_dirs) {
    if (is_dir(dir / path)) return {reference, absolute_dir(dir / path), "local directory"};
    looked.push_back((dir / path).lexically_normal().string());
  }
  std::string repo, revision, tried;
  const fs::path cache = hf_hub_cache();
  if (split_repo_id(reference, repo, revision)) {
    fs::path snapshot = find_snapshot(cache, repo, revision, tried);
    if (!snapshot.empty()) return {reference, absolute_dir(snapshot), "Hugging Face cache"};
    looked.push_back("Hugging Face cache: " + tried);
  }
  fail_input(field,
             "model '{}' not found; looked in: {}. moebench never downloads models: put the "
             "directory there, or fetch the repo into the Hugging Face cache first (e.g. "
             "`huggingface-cli download {}`; HF_HUB_CACHE / HF_HOME choose the cache, now {})",
             reference, fmt::join(looked, "; "), repo.empty() ? reference : repo, cache.string());
}

}  // namespace moebench::merge

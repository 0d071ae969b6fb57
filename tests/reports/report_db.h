// A results database written through the store's API with chosen contents, so
// report tests know every answer by construction: which documents each model
// got right, which expert the router favoured on each, which run dropped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/store/results_store.h"

namespace moebench::reports::testing {

// One scored document: its headline metric value and, optionally, routing
// whose every token picks `favoured` first (weight 0.75) and the next expert
// second (0.25).
struct Doc {
  double value = 0;
  int favoured = -1;  // -1: no routing
  int tokens = 4;
  std::string prompt = "prompt", response = "response";
};

class ReportDb {
 public:
  // Creates `path`; runs begin on day 1, 2, ... of December 2026 in the order made.
  explicit ReportDb(const std::filesystem::path& path);

  int64_t run(const std::string& key);
  // A merge of `experts` (source models = labels) over `base`, recipe text given.
  int64_t merge(const std::string& name, const std::string& base,
                const std::vector<std::string>& experts, const std::string& recipe = "",
                const std::string& gate_variant = "hidden");
  int64_t dense(const std::string& name);
  // A task of `suite` scored by "acc,none" (and the suite, on first use).
  int64_t task(const std::string& name, const std::string& suite, const std::string& expected = "");
  // Writes the docs (doc_id = index) with their scores and the task's and suite's aggregates.
  void score(int64_t run, int64_t model, int64_t task, const std::vector<Doc>& docs);
  void finish(int64_t run);
  // The usual family in one call: the merge "moe" of A, B and C over "base",
  // each of the five scored on one task "t" of suite "s" (expected expert A),
  // with docs[name] as its documents; then the run is finished.
  void score_family(int64_t run, const std::map<std::string, std::vector<Doc>>& docs);

  store::ResultsStore& store() { return store_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int day_ = 0;
  store::ResultsStore store_;
  std::map<int64_t, std::string> task_suite_;
  std::map<std::string, int64_t> suites_;
  int64_t num_experts_ = 3;
};

}  // namespace moebench::reports::testing

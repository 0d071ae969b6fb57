// The suites a report compares models on, and per-document scores to pair.
// A suite's headline is the first entry of its aggregate_metric_list that the
// run scored (lm-eval's first group metric); documents are identified across
// models and runs by (task name, doc_id), so a paired test compares the same
// questions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/store/sqlite_db.h"
#include "reports/paired_stats.h"

namespace moebench::reports {

struct SuiteRef {
  std::string name, alias, metric;  // metric: "exact_match,strict-match"
  bool higher_is_better = true;
  bool binary = true;               // every stored document score is 0 or 1
  std::vector<std::string> tasks;   // its tasks that report the headline metric
};

// A stored suite score (the suite_scores table).
struct SuiteScore {
  double value = 0, stderr_value = 0;  // NaN when undefined
  int64_t n = 0;
};

using DocKey = std::pair<std::string, int64_t>;  // (task name, doc_id)
using DocScores = std::map<DocKey, double>;

// Suites with a headline score in `run`, by name.
std::vector<SuiteRef> run_suites(store::Database& db, int64_t run);
// The suite's stored headline score of (run, model); nullopt when absent.
std::optional<SuiteScore> suite_score(store::Database& db, int64_t run, int64_t model,
                                      const SuiteRef& suite);
// Every stored document value of the suite's headline metric (NaN left out).
DocScores doc_scores(store::Database& db, int64_t run, int64_t model, const SuiteRef& suite);
// The two maps' values on the documents both hold, in key order.
std::pair<std::vector<double>, std::vector<double>> paired_values(const DocScores& a,
                                                                  const DocScores& b);
// The paired test (paired_compare) of a against b on the documents both scored.
PairedComparison paired_compare_maps(const DocScores& a, const DocScores& b, uint64_t seed);
// A document counts as answered right when its score is at least 0.5: 0/1
// metrics exactly, continuous ones (mc2, rougeL) when most of the mass or
// overlap is there.
inline bool is_right(double score) { return score >= 0.5; }

}  // namespace moebench::reports

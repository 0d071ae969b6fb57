// Suites (lm-eval's groups) and their headline scores, stored: computed once,
// from the stored task scores, whenever a task of the suite gets new scores
// and after a shard merge, so every reader (the terminal table, `eval --out`,
// `db export --json`, reports) prints the same numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/store/sqlite_db.h"

namespace moebench::store {

// One entry of a suite's aggregate_metric_list.
struct SuiteAggregate {
  std::string metric;                 // "acc", "exact_match"
  std::vector<std::string> filters;   // "none", "strict-match", ...
  bool weight_by_size = false;        // mean over documents instead of over tasks
};

// A suite version: (name, spec_hash) identify it.
struct SuiteInfo {
  std::string name, spec_hash, alias, version;
  std::vector<std::string> tasks;          // its tasks' names, in suite order
  std::vector<SuiteAggregate> aggregate;   // the first entry is the headline
};

// The suite_score_rows view's row.
struct SuiteScoreRow {
  int64_t run_id = 0, model_id = 0, suite_id = 0;
  std::string run_key, model, gate_variant, suite, alias, metric;  // metric: "acc,none"
  double value = 0, stderr_value = 0;  // NaN when undefined
  int64_t n = 0;                       // documents over the suite's scored tasks
  bool higher_is_better = true;
  int64_t tasks = 0, suite_tasks = 0;  // tasks aggregated / tasks the suite has
};

// Inserts the suite or finds it by identity; returns its id. REQUIRES: a write transaction.
int64_t put_suite(Database& db, const SuiteInfo& suite);
// The same from a suites row's columns as stored (tasks, aggregate: JSON text); db merge copies with it.
int64_t put_suite_row(Database& db, const std::string& name, const std::string& spec_hash, const std::string& alias,
                      const std::string& version, const std::string& tasks, const std::string& aggregate);
// Recomputes (run, model, suite)'s rows from the stored scores of the suite's
// tasks (tasks.suite = its name and a name it lists; the newest version of
// each when a run holds two): for each aggregate
// metric and filter, the group mean (util/group_mean.h) over the tasks that
// report it. REQUIRES: a write transaction.
void recompute_suite_scores(Database& db, int64_t run, int64_t model, int64_t suite,
                            const std::string& now);
// Rows of one run (or all runs), ordered by run, model, suite, metric.
std::vector<SuiteScoreRow> read_suite_scores(Database& db, std::optional<int64_t> run = std::nullopt);

}  // namespace moebench::store

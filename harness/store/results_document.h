// lm-evaluation-harness's results file, built from the database alone, for
// one (run, model): the layout of lm-eval v0.4.9's results_<date>.json
// (lm_eval/evaluator.py simple_evaluate/evaluate and
// loggers/evaluation_tracker.py save_results_aggregated), key order included:
//   results, groups, group_subtasks, configs, versions, n-shot,
//   higher_is_better, n-samples, config, git_hash, date, ..., task_hashes,
//   model_source, model_name, ..., start_time, end_time,
//   total_evaluation_time_seconds
// plus "moebench" (run key, status, gate variant). Groups also get an n-shot
// entry when their tasks agree (as lm-eval 0.4.12 writes). `eval --out`,
// `eval --json`, `db export --json` and the score table (score_table.h) all
// come from here.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "harness/store/results_store.h"

namespace moebench::store {

nlohmann::ordered_json results_document(ResultsStore& store, int64_t run_id, int64_t model_id);
// One document per (run, model) with scores, in run then model order.
nlohmann::ordered_json results_documents(ResultsStore& store, std::optional<int64_t> run = std::nullopt);

// "exact_match,strict-match" -> ("exact_match", "strict-match"); no comma: (key, "").
std::pair<std::string, std::string> split_metric_key(const std::string& key);
// lm-eval's model_name_sanitized: runs of "<>:/|\?*[] become "__".
std::string sanitized_model_name(const std::string& name);

}  // namespace moebench::store

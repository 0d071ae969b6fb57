// One row definition, several printers (llama-bench's way): the rows of
// `db runs` and `db scores` as an aligned table, CSV (RFC 4180) or JSON. The
// scores' JSON is lm-evaluation-harness's results layout, one object per
// (run, model), so leaderboard tooling that reads lm-eval's results_*.json
// reads ours:
//   {"results": {"gsm8k": {"alias": "gsm8k", "exact_match,strict-match": 0.52,
//                          "exact_match_stderr,strict-match": 0.0137}},
//    "higher_is_better": {"gsm8k": {"exact_match": true}},
//    "n-samples": {"gsm8k": {"original": 1319, "effective": 1319}},
//    "config": {"model": "moebench", "model_args": "<model>"},
//    "moebench": {"run_key": ..., "run_id": ..., "model": ..., "gate_variant": ...}}
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/store/store_records.h"

namespace moebench::store {

enum class RowFormat { Table, Csv, Json };

std::string format_runs(const std::vector<RunRow>& runs, RowFormat format);
std::string format_scores(const std::vector<ScoreRow>& scores, RowFormat format);

// The lm-eval results objects of `scores`, one per (run, model, gate variant).
nlohmann::json lm_eval_results(const std::vector<ScoreRow>& scores);

// A CSV field, quoted when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& value);

}  // namespace moebench::store

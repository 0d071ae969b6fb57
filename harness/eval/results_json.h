// Results in lm-evaluation-harness's layout (evaluator.py / EvaluationTracker), so
// tooling that reads lm-eval's results_*.json and samples_*.jsonl reads ours:
//   {"results": {"gsm8k": {"alias": "gsm8k", "exact_match,strict-match": 0.52,
//                          "exact_match_stderr,strict-match": 0.0137, ...}, ...},
//    "groups": {...}, "group_subtasks": {...}, "configs": {...}, "versions": {...},
//    "n-shot": {...}, "higher_is_better": {...},
//    "n-samples": {"gsm8k": {"original": 1319, "effective": 1319}}, ...}
// A standard error that does not exist (n < 2, weighted metrics) is "N/A", as in lm-eval.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/eval/suite.h"
#include "harness/eval/task.h"

namespace moebench::eval {

struct TaskResult {
  const Task* task = nullptr;
  std::map<std::string, MetricResult> metrics;  // Task::aggregate
  int64_t n_original = 0;                       // documents in the task
  int64_t n_effective = 0;                      // documents evaluated (--limit)
};

struct GroupResult {
  const SuiteSpec* suite = nullptr;
  std::map<std::string, MetricResult> metrics;  // aggregate_group
};

// The whole results object; `extra` (model config, date, moebench version...) is
// merged in at the top level. Tasks of a group are listed after it with the alias
// " - <task>", as lm-eval prints them.
nlohmann::json results_json(const std::vector<TaskResult>& tasks,
                            const std::vector<GroupResult>& groups,
                            const nlohmann::json& extra = nlohmann::json::object());

// The "configs" entry of a task: its spec with lm-eval's key names.
nlohmann::json task_config_json(const TaskSpec& spec);

// lm-eval's per-sample record of document `doc_id` for one filter pipeline:
// doc_id, doc, target, arguments ({"gen_args_N": {"arg_0": context, "arg_1":
// continuation or generation kwargs}}), resps, filtered_resps, filter, metrics
// (names), and each metric's value under its name.
nlohmann::json sample_record(const Task& task, size_t doc_id, const std::vector<Request>& requests,
                             const std::vector<Response>& responses, const SampleScore& score,
                             const std::string& filter);

}  // namespace moebench::eval

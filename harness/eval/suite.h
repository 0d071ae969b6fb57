// A suite: a group of tasks with an aggregate, as lm-eval's group YAML. It lives
// in tasks/<suite>/<suite>.yaml beside its task YAMLs:
//   group: math
//   task: [math_word_problems, math_arithmetic_mc]       # tasks/math/<name>.yaml
//   aggregate_metric_list:
//     - {metric: exact_match, aggregation: mean, weight_by_size: true,
//        filter_list: [strict-match]}                      # filter_list default: none
//   expected_expert: math                                 # the expert the router should pick
//   metadata: {version: 1.0}
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/eval/task.h"
#include "harness/eval/task_spec.h"

namespace moebench::eval {

struct AggregateMetric {
  std::string metric;
  std::string aggregation = "mean";  // lm-eval supports only mean for groups
  bool weight_by_size = false;       // lm-eval's default: every task counts once
  std::vector<std::string> filter_list = {"none"};
};

struct SuiteSpec {
  std::string group;
  std::string group_alias;  // optional display name
  std::string source;       // the suite YAML
  std::vector<TaskSpec> tasks;
  std::vector<AggregateMetric> aggregate_metric_list;
  std::string expected_expert;  // optional
  nlohmann::json metadata = nlohmann::json::object();
  double version() const;
};

// `name_or_path`: a suite name under `tasks_dir` (tasks_dir/<name>/<name>.yaml), or a
// path to a suite YAML. Loads and validates every task spec it lists. InputError
// with the closest name on an unknown suite or task, naming file, line and field
// on a bad file.
SuiteSpec load_suite(const std::string& name_or_path, const std::filesystem::path& tasks_dir);
// Names of the suites under `tasks_dir` (folders holding <name>/<name>.yaml), sorted.
std::vector<std::string> list_suites(const std::filesystem::path& tasks_dir);
// Each task's items read (Task::load), in suite order.
std::vector<Task> load_suite_tasks(const SuiteSpec& suite);

// The group's metrics from its tasks' aggregated metrics (task name -> metrics),
// as lm-eval's consolidate_group_results: for each aggregate metric and filter,
// the mean over the tasks that report "metric,filter", weighted by their sizes
// when weight_by_size; stderr pooled from the tasks' (lm-eval's
// pooled_sample_stderr), NaN when any task has none.
std::map<std::string, MetricResult> aggregate_group(
    const SuiteSpec& suite,
    const std::vector<std::pair<std::string, std::map<std::string, MetricResult>>>& task_results);

}  // namespace moebench::eval

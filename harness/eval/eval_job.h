// What `moebench eval` and the nightly plan runner share: choosing tasks from
// suites and dataset adapters, and turning task runs into lm-eval's results
// layout and its score table.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "harness/eval/evaluator.h"
#include "harness/eval/suite.h"

namespace moebench::eval {

struct TaskSelection {
  std::vector<std::string> suites;     // bundled suite names or suite YAML paths
  std::vector<std::string> tasks;      // single tasks: names of bundled tasks or task YAML paths
  std::vector<std::string> data;       // "NAME=PATH" dataset adapters (gsm8k, humaneval, ...)
  std::filesystem::path tasks_dir;     // where bundled suites live
};

struct LoadedTasks {
  std::vector<SuiteSpec> suites;
  std::vector<Task> tasks;
  std::vector<int> suite_of_task;      // index into suites, -1 for dataset tasks
};

// InputError for an unknown suite or adapter (with a near name), a bad file, or
// an empty selection.
LoadedTasks load_tasks(const TaskSelection& selection);
// The bundled suites' directory: $MOEBENCH_TASKS, else the source tree's tasks/.
std::filesystem::path default_tasks_dir();
// Whether any task executes generated code (a pass@k metric).
bool needs_sandbox(const std::vector<Task>& tasks);

// lm-eval's results object for runs[i] of tasks.tasks[i] (and the suites' groups).
nlohmann::json results_of(const LoadedTasks& tasks, const std::vector<TaskRun>& runs,
                          const nlohmann::json& extra);
// The table lm-eval prints: | Tasks | Version | Filter | n-shot | Metric | | Value | | Stderr |
std::string score_table(const nlohmann::json& results);

}  // namespace moebench::eval

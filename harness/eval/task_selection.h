// Choosing the tasks of a run: bundled suites, single tasks and dataset
// adapters, with lm-eval's command-line overrides (--num_fewshot, the
// few-shot seed, --gen_kwargs) applied to every task.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "harness/eval/suite.h"

namespace moebench::eval {

struct TaskSelection {
  std::vector<std::string> suites;     // bundled suite names or suite YAML paths
  std::vector<std::string> tasks;      // single tasks: names of bundled tasks or task YAML paths
  std::vector<std::string> data;       // "NAME=PATH" dataset adapters (gsm8k, humaneval, ...)
  std::filesystem::path tasks_dir;     // where bundled suites live
  // Overrides of every task's spec (lm-eval's flags of the same names).
  int64_t num_fewshot = -1;            // --num_fewshot; -1: each spec's own
  int64_t fewshot_seed = -1;           // --seed's fourth value; -1: each spec's own
  // --gen_kwargs, merged into every generate_until task: until (list or
  // string), max_gen_toks, and do_sample=false / temperature=0 (decoding is greedy).
  nlohmann::json gen_kwargs;           // null: none
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
// Whether a task executes generated code (a pass@k metric; lm-eval's unsafe_code).
bool runs_generated_code(const TaskSpec& spec);
// Whether any task does.
bool needs_sandbox(const std::vector<Task>& tasks);

// --gen_kwargs text as lm-eval parses it: JSON, or "k=v,k2=v2" with true /
// false, integers and floats converted. InputError naming --gen_kwargs for a
// key moebench cannot honour (sampling, unknown keys) or a bad value.
nlohmann::json parse_gen_kwargs(const std::string& text);

}  // namespace moebench::eval

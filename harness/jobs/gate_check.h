// `moebench gates RECIPE --check SUITE`: does a recipe's routing send a suite
// to the expert it expects, without a full evaluation? The merged model (built
// in memory with the gates) reads the suite's prompts, exactly as evaluation
// prompts them, and a router tap counts per MoE layer the tokens whose first
// choice is the suite's expected expert: the agreement a run's report shows,
// over prompts only (no answer is generated or scored), in seconds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/eval/task_selection.h"
#include "harness/merge/gates_file.h"
#include "harness/merge/merge_options.h"
#include "harness/merge/merge_recipe.h"
#include "harness/model/language_model.h"

namespace moebench::jobs {

struct GateCheckOptions {
  std::vector<std::string> suites;  // suite names under tasks_dir, or suite YAML paths
  std::filesystem::path tasks_dir;  // empty: eval::default_tasks_dir(), as `moebench eval`
  int64_t limit = 0;                // documents per task (the first ones); 0: all
  model::LoadOptions load;          // where and in which dtype the merged model runs
  int batch_size = 16;              // prompts per forward pass
  bool add_bos_token = false;       // as eval's --add-bos-token: prompts start with BOS
  bool progress = true;             // a progress bar on stderr (when it is a terminal)
};

// One suite to check: its tasks and the recipe expert it expects.
struct GateCheckSuite {
  std::string name, source;    // the suite's group and its YAML
  std::string expected;        // the suite's expected_expert text
  std::string expert_label;    // the recipe expert it names (its source_model)
  int expert = -1;             // that expert's index in the recipe
  std::vector<size_t> tasks;   // indices into GateCheckPlan::tasks.tasks
};

struct GateCheckPlan {
  eval::LoadedTasks tasks;
  std::vector<GateCheckSuite> suites;  // in the order given
  GateCheckOptions options;
};

// Loads the suites and matches each one's expected_expert against the
// recipe's experts as a run does (plan_check.h expected_expert_label). Cheap:
// call it before computing gates, so that a typo fails at once. InputError
// naming the suite's YAML and the suite for a suite without expected_expert,
// or one whose keyword names none of the recipe's experts (they are listed).
GateCheckPlan plan_gate_check(const std::string& recipe_path, const GateCheckOptions& options);

struct SuiteAgreement {
  std::string suite, expert_label;
  int expert = -1;
  int64_t prompts = 0;  // distinct prompts read (identical ones are read once)
  int64_t tokens = 0;   // their tokens; every layer routes each of them once
  std::vector<int64_t> expected_first;  // per MoE layer: tokens whose first choice is `expert`
  std::vector<double> agreement;        // per MoE layer: expected_first / tokens
  double mean = 0;                      // of `agreement` over the layers
};

// Runs `model` (a Mixtral whose experts are the recipe's, in its order) over
// every suite's prompts: each document's context as prepare_task makes it
// (few-shot examples and template included; a rolling task's text, which has
// no context), tokenised as the engine tokenises a generation prompt. InputError
// for a dense model.
std::vector<SuiteAgreement> routing_agreement(const model::LanguageModel& model, const GateCheckPlan& plan);

// The gates `moebench gates` reports on: read from options.gates_file when set,
// else computed, and written to `out` as recipe_gates_to_file when `out` is
// not empty. Diagnosed as the recipe's gate mode reads them (gate_reading).
merge::GatesSummary recipe_gates_summary(const merge::MergeRecipe& recipe, const merge::MergeOptions& options,
                                         const std::filesystem::path& out);

}  // namespace moebench::jobs

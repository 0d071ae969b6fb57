// Everything a plan names is checked before a run row exists: a typo in the
// last model's path must not surface hours into a nightly run, after a
// half-finished run was recorded.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/eval/task_selection.h"
#include "harness/jobs/run_plan.h"
#include "harness/store/store_records.h"

namespace moebench::model {
class LanguageModel;
}

namespace moebench::jobs {

// {task: {doc_id: [responses]}} of an `eval --generations` file: JSONL of
// {"task", "doc_id", "response" | "resps"}. InputError naming file and line.
using Generations = std::map<std::string, std::map<size_t, std::vector<std::string>>>;
Generations read_generations(const std::string& path);

// Loads the plan's tasks and checks every model (directory, recipe and the
// models it names, gates file, generations file), and every expected_experts
// entry (a suite of the plan, one of the recipe's experts, the valid ones
// listed), and every forced expert (a recipe's; --force-expert: one of its
// labels). InputError naming the plan field and the bad value.
eval::LoadedTasks check_plan(const RunPlan& plan);

// The models row of a plan model once loaded (lineage from its recipe,
// content fingerprint, context length, parameters, special tokens).
store::ModelInfo plan_model_info(const PlanModel& model, const model::LanguageModel* lm);

// The expert a suite should route to: the plan's explicit choice, else the
// first expert whose source or positive prompts mention the keyword before ':'
// of the suite's expected_expert ("coding: Python programming" -> "coding").
std::string expected_expert_label(const PlanModel& plan_model, const store::ModelInfo& model,
                                  const std::string& suite, const std::string& expected);

// The index of the expert labelled `label` in `model`'s recipe (its first, if
// several share the label), or -1.
int expert_index(const store::ModelInfo& model, const std::string& label);

}  // namespace moebench::jobs

// A nightly run plan (models/*.yml): which models, which suites and datasets,
// with which settings. Recipes expand into the merge plus, unless the plan
// says otherwise, its base and every expert, so reports can put a merge beside
// what it was made of.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/engine/engine.h"
#include "harness/eval/evaluator.h"
#include "harness/eval/task_selection.h"
#include "harness/jobs/open_model.h"
#include "harness/merge/merge_recipe.h"
#include "harness/store/sample_routing.h"

namespace moebench::jobs {

struct PlanModel {
  std::string name;           // unique within the plan
  std::string path;           // model directory or recipe (.yml), absolute
  std::string gates_file;     // optional router override (a gate variant)
  std::string gate_variant;   // label of the gates ("" = the recipe's own gate_mode)
  std::string source_of;      // for an expanded base/expert: the recipe model's name
  // Instead of a model: responses read from a JSONL of {task, doc_id,
  // response | resps} (`eval --generations`), scored as if generated.
  std::string generations;
  // suite -> the recipe expert (its source_model) that suite should route to;
  // suites not listed fall back to the keyword before ':' in the suite's
  // expected_expert, looked for in each expert's source_model and prompts.
  std::map<std::string, std::string> expected_experts;
  // Oracle routing (plan key `force_experts: true`, gate_variant "oracle"):
  // each unit's tokens all go to the expert its suite expects (as above);
  // units of suites without one are skipped for this model, with a note.
  bool force_experts = false;
  // `eval --force-expert LABEL` (gate_variant "forced:LABEL"): every token to
  // the recipe expert with this label (its source_model).
  std::string force_expert;
  // A variant of an ablation of the recipe at `path` (plan key `variants:`,
  // `moebench ablate`; ablation_variants.h): its name, also its gate_variant,
  // and the recipe as the variant builds its gates. Variants follow their
  // recipe's model in the plan and share its loaded experts.
  std::string ablation;
  std::shared_ptr<const merge::MergeRecipe> variant_recipe;
};

struct RunPlan {
  std::string name;
  std::filesystem::path file;
  std::string hash;           // of the plan text: a re-run with the same text resumes
  eval::TaskSelection tasks;
  OpenModelOptions open;      // device, dtype, threads, --models-dir, seed (gates: per model)
  engine::EngineOptions engine;
  eval::EvalConfig eval;
  store::RoutingOptions routing;
  std::string batch_size_text = "16";  // as given ("16", "auto"), for the results file
  // lm-eval's --seed: python random, numpy, torch, few-shot sampler (-1: not set).
  std::vector<int64_t> seeds = {0, 1234, 1234, 1234};
  int64_t docs_per_transaction = 16;
  std::vector<PlanModel> models;  // recipes' bases and experts appended after their merge
  std::vector<std::string> notes;  // what the plan leaves out and why (ablation variants), for the user
};

// The ablation variants of the recipe model `recipe_model` (ablation_variants.h)
// as plan models named "<name>/<variant>". `notes`: variants left out, and why.
std::vector<PlanModel> ablation_models(const PlanModel& recipe_model, const std::vector<std::string>& words,
                                       const std::filesystem::path& base_dir, const std::string& where,
                                       std::vector<std::string>* notes);

// Parses and validates a plan; relative paths are taken from the plan's folder.
// InputError naming the file and field on anything unknown or malformed.
RunPlan load_run_plan(const std::filesystem::path& file);

// lm-eval's --seed: one value for all four seeds, or three (the few-shot seed
// stays 1234) or four; "none" leaves one unset (-1). InputError naming `where`.
std::vector<int64_t> parse_seeds(const std::string& text, const std::string& where);

// One (model, task) pair to evaluate; units are numbered model-major.
struct WorkUnit {
  size_t model = 0, task = 0;
};
// The units of shard `index` of `count` (unit i belongs to shard i % count).
std::vector<WorkUnit> shard_units(size_t models, size_t tasks, int index, int count);
// FNV-1a 64 of `text` as 16 hex digits: a stable content fingerprint for plans,
// models and task specs (not a security hash).
std::string fingerprint(const std::string& text);
// Parses "i/N" (0 <= i < N); InputError naming --shard otherwise.
std::pair<int, int> parse_shard(const std::string& text);

}  // namespace moebench::jobs

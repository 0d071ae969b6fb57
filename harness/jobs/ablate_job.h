// `moebench ablate recipe.yml --suite ... --variants ...`: a positive-prompt
// ablation in one command. The recipe as written and each variant
// (ablation_variants.h) are models of one plan; the runner loads the
// experts once and builds each variant from its gates (model_loader.h), and
// each variant's lineage (prompts, gate mode, top-k, gates hash) is stored
// with its scores. The outcome is the report's ablation family: every
// variant against the recipe as written, per suite, with the paired test.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "harness/jobs/plan_runner.h"

namespace moebench::jobs {

struct AblateJob {
  std::string recipe;                 // the recipe as written: the reference
  std::vector<std::string> variants;  // variant words (split_variant_words)
  RunPlan plan;                       // tasks and settings; models are filled from the above
  std::filesystem::path db;           // empty: an in-memory database
  PlanRunOptions run;
};

struct AblationModel {
  std::string name, ablation;  // ablation "" for the recipe as written
  ModelTiming timing;
};

struct AblateOutcome {
  std::string run_key;
  std::vector<AblationModel> models;  // the recipe as written first, then the variants in order
  std::vector<std::string> notes;     // variants left out, and why
  nlohmann::ordered_json family;      // the report's "ablation" family (REPORT_JSON.md, section 6)
};

AblateOutcome run_ablation(AblateJob job);

// The terminal table: per model its gate mode, top-k, gates hash, the time it
// cost besides evaluation (loading, gates) and its score per suite with the
// difference from the recipe as written; then the overhead in one line.
std::vector<std::string> ablation_table(const AblateOutcome& outcome);

}  // namespace moebench::jobs

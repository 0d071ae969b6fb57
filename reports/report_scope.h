// What a report covers: the run (--run KEY | latest), an optional baseline run,
// and the models of the run with their roles. A merged model (a recipe's MoE)
// is reported beside the models it was made of when the database holds them
// (the store's model_lineage view): its base and its experts. Every expert
// label gets one colour, used by every chart and table of the report.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <tuple>
#include <optional>
#include <string>
#include <vector>

#include "harness/store/results_store.h"
#include "reports/suite_results.h"

namespace moebench::reports {

struct ReportOptions {
  std::string run = "latest";       // a run_key, or "latest" (most recently started)
  std::string baseline;             // a run_key; "" = none
  std::vector<std::string> models;  // names to keep (and the models they were merged from); empty = all
  int token_view_documents = 3;     // token-logged documents shown per suite and merge
  int samples_per_suite = 200;      // documents of the samples section per suite
  uint64_t seed = 1234;             // paired bootstrap resampling
};

struct RunRef {
  int64_t run_id = 0;
  std::string run_key, plan, plan_hash, status, started_at, finished_at, git_revision, host,
      device, dtype;
  nlohmann::ordered_json settings = nlohmann::ordered_json::object();
};

struct ExpertRef {
  int index = 0;
  std::string label, source_model;
  std::string model;  // the evaluated dense model this expert came from, or ""
  int64_t model_id = 0;
  std::vector<std::string> positive_prompts, negative_prompts;
};

struct ModelRef {
  int64_t model_id = 0;
  std::string name, gate_variant, architecture, content_hash, recipe_path, recipe, base_model;
  std::string gate_mode, gates_hash, ablation;  // the routers' lineage (store v4; "" before)
  int64_t num_layers = 0, num_experts = 0, experts_per_token = 0;
  std::string role = "model";  // merge | base | expert | model
  std::string merge;           // base/expert: the merge it belongs to
  std::string label;           // expert: its expert label
  std::string colour;
  std::string base;            // merge: the evaluated base model's name, or ""
  int64_t base_id = 0;
  std::vector<ExpertRef> experts;  // merge: by expert index
  nlohmann::json gate_stats = nlohmann::json::object();
  bool is_merge() const { return role == "merge"; }
};

struct ReportScope {
  store::ResultsStore* store = nullptr;
  RunRef run;
  std::optional<RunRef> baseline;
  std::vector<ModelRef> models;  // merges first (by name), then the rest by name
  std::vector<std::pair<std::string, std::string>> expert_colours;  // label -> colour, first seen first
  ReportOptions options;

  const ModelRef* model(int64_t model_id) const;
  const ModelRef* model_named(const std::string& name) const;
  std::vector<const ModelRef*> merges() const;
  std::string colour_of_label(const std::string& label) const;
  // suite_results.h's doc_scores, read once per (run, model, suite): the
  // verdict, the correctness, ablation, history and samples sections all pair
  // the same documents.
  const DocScores& doc_scores(int64_t run, int64_t model, const SuiteRef& suite) const;

 private:
  mutable std::map<std::tuple<int64_t, int64_t, std::string>, DocScores> doc_scores_;
};

// Throws InputError naming the database and the run when --run/--baseline
// name no run, or when the database holds no run at all.
ReportScope load_scope(store::ResultsStore& store, const ReportOptions& options);
// "latest" allowed; `flag` (--run, --baseline) names the option in errors.
RunRef load_run(store::Database& db, const std::string& key, const std::string& flag = "--run");
nlohmann::ordered_json run_json(const RunRef& run);
nlohmann::ordered_json models_json(const ReportScope& scope);

}  // namespace moebench::reports

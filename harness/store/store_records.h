// The rows the results store writes and reads, as plain structs: what a run,
// a model (with its lineage), a task, a sample and a score are. SCHEMA.md
// lists the columns they map to.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <map>

#include "harness/store/sample_routing.h"

namespace moebench::store {

// Interrupted: stopped by SIGINT/SIGTERM after its last batch was stored; a re-run resumes it.
enum class RunStatus { Running, Complete, Failed, Interrupted };
const char* run_status_name(RunStatus status);  // "running" | "complete" | "failed" | "interrupted"

// One execution of a plan. run_key identifies it across re-runs after an
// interruption and across the shards of one nightly job: begin_run with a
// key that exists resumes that run, and db merge unifies shards by it.
struct RunInfo {
  std::string run_key;  // e.g. "<plan name>@<date>" or the user's --run-name
  std::string plan, plan_hash;
  std::string git_revision, host, device, dtype;
  std::string shard;    // "i/N" of --shard, empty when unsharded
  nlohmann::json settings = nlohmann::json::object();  // batch size, routing mode, cap, ...
};

struct RunRow : RunInfo {
  int64_t run_id = 0;
  std::string status, started_at, finished_at;  // ISO 8601 UTC; finished_at empty while running
};

// One expert of a merged model, as its recipe lists it.
struct ExpertInfo {
  std::string source_model;  // the recipe's source_model (path or HF id)
  // What the expert is for ("coding", "math"): suites name it in
  // TaskInfo::expected_expert to ask for routing agreement.
  std::string label;
  std::vector<std::string> positive_prompts, negative_prompts;
};

// A model as evaluated. (name, content_hash, gate_variant) identify it:
// gate variants of one merge share config and tensor index but not routers.
struct ModelInfo {
  std::string name;
  std::string content_hash;   // of config.json + the tensor index (names, dtypes, shapes)
  std::string gate_variant;   // gate_mode or ablation name ("hidden", "random", ...); "" if dense
  std::string path, architecture;
  int64_t num_layers = 0, num_experts = 0, experts_per_token = 0;  // 0 experts: dense
  // Lineage of a merged model (empty otherwise).
  std::string recipe_path, recipe;  // recipe: the YAML verbatim
  std::string base_model;           // the recipe's base_model
  std::vector<ExpertInfo> experts;  // in expert-index order
  // What lm-eval's results file says of a model: its context length, its
  // parameter count, and its special tokens ({"bos": ["<s>", 1], ...}).
  int64_t max_length = 0, num_parameters = 0;
  nlohmann::json special_tokens = nlohmann::json::object();
  // The routers' geometry per MoE layer (merge/gate_stats.h): {"layers":
  // [{"layer", "condition_number", "cosine": [[...]]}]}; {} for dense models.
  nlohmann::json gate_stats = nlohmann::json::object();
  // What its routers were made from (v4): the gate mode ("" unknown: a
  // directory's own routers), the gates file it was given ("" none), a
  // fingerprint of the routers it ran with, and the ablation variant it is
  // ("" unless it is one). The prompts are its experts' (model_experts).
  std::string gate_mode, gates_file, gates_hash, ablation;
};

// A task version: (name, spec_hash) identify it, so an edited spec is a new task.
struct TaskInfo {
  std::string name, spec_hash, suite, version, output_type;
  int64_t num_docs = 0;
  std::string expected_expert;  // an ExpertInfo::label, or "" (no agreement computed)
  nlohmann::json config = nlohmann::json::object();  // lm-eval's "configs" entry of the task
};

// What the model answered to one request (the engine's response, as stored).
struct SampleResponse {
  double logprob = 0;      // log-likelihood and rolling requests
  bool is_greedy = false;  // log-likelihood requests
  std::string text;        // generations
  int64_t tokens = 0;      // rolling requests: tokens scored
};

// A document's score as stored; aggregation reads these back after a resume.
struct SampleScore {
  std::map<std::string, double> metrics;  // "acc,none" -> value (NaN allowed)
  std::map<std::string, double> weights;  // weighted metrics: the divisor of metrics[key]
  std::map<std::string, std::vector<std::string>> filtered;         // filter -> responses
  std::map<std::string, std::vector<std::string>> program_results;  // filter -> verdicts
  std::string target;                                               // the gold as text
};

// One scored document, written with its routing in one transaction.
struct SampleRecord {
  int64_t doc_id = 0;
  std::string prompt;                     // the formatted context the model saw
  std::vector<SampleResponse> responses;  // in request order
  SampleScore score;                      // metrics, weights, filtered responses, target
  SampleRouting routing;                  // empty when routing was not recorded
  // lm-eval's samples-file hashes (sha256 hex of the document's JSON, the first
  // request's context, str(target)); task_hashes are computed from them.
  std::string doc_hash, prompt_hash, target_hash;
};

// An aggregated metric of a task or a suite.
struct MetricScore {
  double value = 0, stderr_value = 0;  // stderr NaN when undefined
  int64_t n = 0;                       // documents aggregated
  bool higher_is_better = true;
};

struct WriteResult {
  int64_t inserted = 0;       // new samples
  int64_t skipped = 0;        // already stored (a retried batch): left untouched
  int64_t logged_tokens = 0;  // tokens of the new samples stored token by token
};

// The one result row: what `db scores`, the exports and the reports print.
struct ScoreRow {
  int64_t run_id = 0;
  std::string run_key, model, gate_variant, task, suite, metric;  // metric: "acc,none"
  double value = 0, stderr_value = 0;  // NaN when undefined (n < 2 for stderr)
  int64_t n = 0;         // documents scored
  int64_t num_docs = 0;  // documents in the task
  bool higher_is_better = true;
};

}  // namespace moebench::store

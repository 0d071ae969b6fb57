// `moebench eval`: a one-model plan run into a results database (in memory
// unless --db names a file), and lm-eval's outputs read back from it: the
// results document (results_document.h), the score table, and the samples.
// So the terminal table, --out, `db export --json` and the stored suite scores
// are the same rows.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/jobs/plan_runner.h"

namespace moebench::jobs {

struct EvalJob {
  std::string model;        // model directory or recipe; empty with generations
  std::string generations;  // score these stored responses instead of a model
  // A recipe expert's label: every token goes to that expert (oracle routing;
  // the stored model's gate_variant is "forced:<label>"). Empty: the router's.
  std::string force_expert;
  RunPlan plan;             // tasks, load/engine/eval settings (models filled from the above)
  std::filesystem::path db; // empty: an in-memory database
  PlanRunOptions run;       // run key, sandbox, progress, resume command
};

struct EvalOutcome {
  nlohmann::ordered_json results;  // lm-eval's results document
  std::string table;               // lm-eval's printed table of it
  // task -> its lm-eval sample records, filter-major (the lines of
  // samples_<task>_<date>.jsonl); in plan task order.
  std::vector<std::pair<std::string, std::vector<nlohmann::ordered_json>>> samples;
  std::string run_key;
};

// Runs the job. `with_samples`: also read the samples back as lm-eval records.
EvalOutcome run_eval(EvalJob job, bool with_samples);

// lm-eval's file names for an --output_path: a path ending in ".json" is
// <stem>_<date>.json with samples beside it; anything else is a folder holding
// <model_name_sanitized>/results_<date>.json and samples_<task>_<date>.jsonl.
struct OutputFiles {
  std::filesystem::path results;
  std::map<std::string, std::filesystem::path> samples;  // task -> file
};
OutputFiles lm_eval_output_files(const std::filesystem::path& output_path, const std::string& model_name,
                                 const std::vector<std::string>& tasks, const std::string& date_id);
// Local time as lm-eval's file names carry it: 2024-05-01T02-13-07.412345.
std::string lm_eval_date_id();

}  // namespace moebench::jobs

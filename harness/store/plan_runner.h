// `moebench run plan.yml`: evaluates every (model, task) unit of a plan (or of
// one shard of it) into a results store, resumably. Documents are written in
// small transactions; a re-run with the same run key skips what is stored, so
// a killed run continues where it stopped without repeating or losing samples.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "harness/store/run_plan.h"

namespace moebench::store {

struct PlanRunOptions {
  std::filesystem::path db;
  int shard_index = 0, shard_count = 1;
  // Identity of the run: the same key resumes it. Default:
  // "<plan>@<plan hash>@<UTC date>", so a nightly job is one run per day and a
  // re-run after a crash the same day continues it.
  std::string run_key;
  bool allow_unsandboxed_code = false;
  bool show_progress = true;
};

struct PlanRunSummary {
  int64_t run_id = 0;
  std::string run_key;
  int64_t units = 0, samples_written = 0, samples_skipped = 0;
};

PlanRunSummary run_plan(const RunPlan& plan, const PlanRunOptions& options);

}  // namespace moebench::store

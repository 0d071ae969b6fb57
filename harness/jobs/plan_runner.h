// `moebench run plan.yml` (and `moebench eval`, a one-model plan): evaluates
// every (model, task) unit of a plan, or of one shard of it, into a results
// store, resumably. Documents are written in small transactions; a re-run
// with the same run key skips what is stored, so a killed run continues where
// it stopped without repeating or losing samples. SIGINT/SIGTERM stop it after
// the open transaction: the run is marked `interrupted` and moebench::Interrupted
// is thrown with the command that resumes it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "harness/jobs/run_plan.h"
#include "harness/store/results_store.h"
#include "harness/util/plan_progress.h"

namespace moebench::jobs {

struct PlanRunOptions {
  int shard_index = 0, shard_count = 1;
  // Identity of the run: the same key resumes it. Default:
  // "<plan>@<plan hash>@<UTC date>", so a nightly job is one run per day and a
  // re-run after a crash the same day continues it.
  std::string run_key;
  bool allow_unsandboxed_code = false;
  int sandbox_workers = 0;               // parallel programs of coding tasks (0: all cores)
  PlanProgressOptions progress;          // bar on a terminal, lines in logs
  // Printed when a signal stops a run stored in a file (with --run-name added
  // when missing); empty: no command is printed.
  std::string resume_command;
};

// Where a model's time went in this process: what an ablation variant costs
// besides its evaluation is its gate_seconds (its experts are kept loaded).
struct ModelTiming {
  size_t model = 0;  // plan model index
  double load_seconds = 0, gate_seconds = 0, eval_seconds = 0;
};

struct PlanRunSummary {
  int64_t run_id = 0;
  std::string run_key;
  int64_t units = 0, samples_written = 0, samples_skipped = 0;
  std::vector<std::pair<int64_t, int64_t>> model_ids;  // (plan model index, store model id)
  std::vector<ModelTiming> timings;                    // per model opened, in order
};

// The units of a checked plan into `store`. REQUIRES: tasks == check_plan(plan)
// (plan_check.h; nothing may be written for a plan that cannot run).
PlanRunSummary run_plan(const RunPlan& plan, const eval::LoadedTasks& tasks, const PlanRunOptions& options,
                        store::ResultsStore& store);
// check_plan, then the units into the database at `db` (created only then).
PlanRunSummary run_plan(const RunPlan& plan, const PlanRunOptions& options, const std::filesystem::path& db);

}  // namespace moebench::jobs

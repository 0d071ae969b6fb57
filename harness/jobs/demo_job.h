// `moebench demo`: the main job on a built-in default. On the demo world
// (models/demo: a trained base, four experts each mastering one domain, their
// recipes and a run plan) it evaluates the base, the experts, four merges
// (mergekit's `hidden` and `cheap_embed` gates, moebench's `router_state` and
// `fitted`, the latter also ablated) and the oracle-routing upper bound on the four demo suites with
// routing logs, writes the HTML report, and says in plain numbers how each
// merge did.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "harness/jobs/demo_training.h"
#include "harness/util/plan_progress.h"

namespace moebench::jobs {

struct DemoOptions {
  std::filesystem::path world_dir;  // default_demo_world_dir() unless given
  std::filesystem::path out_dir = "moebench-demo";  // results.sqlite, report.html, report.json
  // Remake the models and suites first (demo_training.h), then record their
  // scores in world_dir/scores.json.
  bool retrain = false;
  DemoTrainingOptions training = default_demo_training();
  int threads = 0;  // CPU threads; 0: every core this process may use
  // > 0: only the first `limit` documents of each task (a quick look; the
  // scores are then not the world's, so a retrain does not record them).
  int64_t limit = 0;
  PlanProgressOptions progress;
};

struct DemoResult {
  std::filesystem::path db, html, json;
  std::vector<std::string> summary;  // the terminal summary, one line each
};

// $MOEBENCH_DEMO, else models/demo of the source checkout this binary was built from.
std::filesystem::path default_demo_world_dir();

// Runs the steps, printing a line per step to `out`. The run key is derived
// from the plan and the bytes of the models and suites, so running the demo
// again on the same world resumes (and finds everything stored). InputError
// when the world is incomplete (with the command that remakes it).
DemoResult run_demo(const DemoOptions& options, std::ostream& out);

}  // namespace moebench::jobs

// moebench demo: the main job on a built-in default (harness/jobs/demo_job.h).
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/jobs/demo_job.h"

namespace moebench::cli {

void register_demo(CLI::App& app) {
  auto a = std::make_shared<jobs::DemoOptions>();
  auto* cmd = app.add_subcommand(
      "demo",
      "The whole job on the demo world: four trained tiny experts (math, coding, truthfulness, "
      "roleplay) and their base, merged with mergekit's hidden and cheap_embed gates and "
      "moebench's router_state and fitted gates, the fitted merge ablated (shuffled prompt "
      "sets, one expert per token), evaluated with routing logs beside the oracle-routing "
      "upper bound, and reported as HTML");
  cmd->add_option("--out", a->out_dir, "Directory for results.sqlite, report.html and report.json")
      ->capture_default_str();
  cmd->add_option("--world", a->world_dir,
                  "The demo world: models, suites, recipes and plan (default: models/demo of "
                  "this checkout, or $MOEBENCH_DEMO)");
  cmd->add_flag("--retrain", a->retrain,
                "First remake the world: generate its corpora and suites, train the tokenizer, "
                "the base and the four experts (about 10 minutes on 2 cores), and record their "
                "scores in the world's scores.json");
  cmd->add_option("--base-steps", a->training.base.steps,
                  "With --retrain: optimizer steps of the base (fewer: a quicker, weaker world)")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--expert-steps", a->training.expert.steps, "With --retrain: steps of each expert")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--limit", a->limit,
                  "Only the first N documents of each task: a quick look whose scores are not the "
                  "world's (with --retrain, scores.json is then left as it is)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  cmd->add_option("--threads", a->threads, "CPU threads (0: every core this process may use)")->check(CLI::Range(0, 1024));
  cmd->callback([a] { jobs::run_demo(*a, std::cout); });
}

}  // namespace moebench::cli

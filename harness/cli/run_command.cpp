// moebench run plan.yml --db results.sqlite: the nightly job.
#include <fmt/format.h>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/store/plan_runner.h"
#include "harness/util/output_path.h"

namespace moebench::cli {

void register_run(CLI::App& app) {
  struct Args {
    std::string plan, db = "results.sqlite", shard, run_key;
    bool allow_unsandboxed = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "run", "Evaluate every model of a plan on its suites into a results database (resumable)");
  cmd->add_option("PLAN", a->plan, "Run plan YAML (models, suites, data, settings)")->required();
  cmd->add_option("--db", a->db, "Results database (SQLite)")->capture_default_str();
  cmd->add_option("--shard", a->shard, "Run only shard i/N of the plan's (model, task) units");
  cmd->add_option("--run-name", a->run_key,
                  "Run key; the same key resumes (default: plan@hash@UTC date)");
  cmd->add_flag("--allow-unsandboxed-code", a->allow_unsandboxed,
                "Run generated code without bubblewrap if bubblewrap is unusable (dangerous)");
  cmd->callback([a] {
    store::PlanRunOptions options;
    if (!a->shard.empty()) {
      std::tie(options.shard_index, options.shard_count) = store::parse_shard(a->shard);
    }
    check_output_file(a->db, "--db");  // an existing database is resumed, not replaced
    store::RunPlan plan = store::load_run_plan(a->plan);
    options.db = a->db;
    options.run_key = a->run_key;
    options.allow_unsandboxed_code = a->allow_unsandboxed;
    store::PlanRunSummary s = store::run_plan(plan, options);
    std::cout << fmt::format("run {} ({}): {} units, {} samples written, {} already stored -> {}\n",
                             s.run_id, s.run_key, s.units, s.samples_written, s.samples_skipped,
                             a->db);
  });
}

}  // namespace moebench::cli

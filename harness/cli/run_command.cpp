// moebench run plan.yml --db results.sqlite: the nightly job.
#include <fmt/format.h>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/jobs/plan_runner.h"
#include "harness/util/output_path.h"

namespace moebench::cli {

void register_run(CLI::App& app) {
  struct Args {
    std::string plan, db = "results.sqlite", shard, run_key;
    bool allow_unsandboxed = false;
    int sandbox_workers = 0;
    ModelFlags flags;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "run", "Evaluate every model of a plan on its suites into a results database (resumable)");
  cmd->add_option("PLAN", a->plan, "Run plan YAML (models, suites, data, settings)")->required();
  cmd->add_option("--db", a->db, "Results database (SQLite)")->capture_default_str();
  cmd->add_option("--shard", a->shard, "Run only shard i/N of the plan's (model, task) units");
  cmd->add_option("--run-name", a->run_key,
                  "Run key; the same key resumes (default: plan@hash@UTC date)");
  add_sandbox_flags(cmd, a->allow_unsandboxed, a->sandbox_workers);
  a->flags.add_to(cmd, ModelFlags::Use::OverridePlan);
  cmd->callback([a] {
    jobs::PlanRunOptions options;
    if (!a->shard.empty()) std::tie(options.shard_index, options.shard_count) = jobs::parse_shard(a->shard);
    check_output_file(a->db, "--db");  // an existing database is resumed, not replaced
    jobs::RunPlan plan = jobs::load_run_plan(a->plan);
    const jobs::OpenModelOptions& given = a->flags.options;
    const ModelFlags& f = a->flags;
    if (f.device->count() || f.dtype->count() || f.threads->count()) {
      if (f.device->count()) plan.open.load.device = given.load.device;
      if (f.dtype->count()) plan.open.load.dtype = given.load.dtype;
      if (f.threads->count()) plan.open.load.threads = given.load.threads;
      plan.open.load.origin.clear();  // messages now name the flags
      model::check_load_options(plan.open.load);
      // Settings that change results are part of what the run key stands for.
      plan.hash = jobs::fingerprint(fmt::format("{}|{}|{}", plan.hash, plan.open.load.device, plan.open.load.dtype));
    }
    if (f.models_dir->count()) plan.open.models_dir = given.models_dir;
    options.run_key = a->run_key;
    options.allow_unsandboxed_code = a->allow_unsandboxed;
    options.sandbox_workers = a->sandbox_workers;
    options.resume_command = invocation();
    jobs::PlanRunSummary s = jobs::run_plan(plan, options, a->db);
    std::cout << fmt::format("run {} ({}): {} units, {} samples written, {} already stored -> {}\n",
                             s.run_id, s.run_key, s.units, s.samples_written, s.samples_skipped,
                             a->db);
  });
}

}  // namespace moebench::cli

// moebench ablate RECIPE --suite ... --variants ...: a positive-prompt
// ablation in one command (harness/jobs/ablate_job.h).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/eval/suite.h"
#include "harness/jobs/ablate_job.h"
#include "harness/util/error.h"
#include "harness/util/output_path.h"
#include "harness/util/text.h"

namespace moebench::cli {

void register_ablate(CLI::App& app) {
  struct Args {
    std::string recipe, tasks_dir, db, run_name, batch = "16", routing, seed = "0,1234,1234,1234";
    std::vector<std::string> suites, tasks, data, variants;
    double limit = -1;
    bool json = false, allow_unsandboxed = false;
    int sandbox_workers = 0;
    ModelFlags flags;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "ablate",
      "Evaluate variants of a recipe's gates against the recipe as written: the experts are loaded once, each "
      "variant only recomputes its gates (and experts per token), and its lineage (prompts, gate mode, top-k, "
      "gates hash) is stored with its scores");
  cmd->add_option("RECIPE", a->recipe, "mergekit-moe YAML recipe (the reference: the recipe as written)")->required();
  cmd->add_option("--variants", a->variants,
                  "Comma-separated, repeatable: leave-one-out, leave-out=EXPERT, shuffle (prompt sets rotated across "
                  "experts), no-negatives, gate-modes (every mode, mergekit's and moebench's), gate-mode=MODE, "
                  "top-k=K[,K...], prompts=FILE (YAML: expert source_model -> its prompts)")
      ->required();
  cmd->add_option("--suite", a->suites, "Suites to evaluate on (bundled names or suite YAML paths, comma-separated)")
      ->delimiter(',');
  cmd->add_option("--tasks", a->tasks, "Bundled suites or tasks, or task YAML paths (comma-separated)")
      ->delimiter(',');
  cmd->add_option("--data", a->data, "Dataset adapter NAME=PATH (as eval)");
  cmd->add_option("--tasks-dir", a->tasks_dir, "Where bundled suites live (default: the checkout's tasks/)");
  cmd->add_option("--limit", a->limit, "Documents per task (an integer), or a fraction of them (below 1)");
  cmd->add_option("--batch-size,--batch_size", a->batch, "Sequences per forward pass, or auto")->capture_default_str();
  cmd->add_option("--seed", a->seed, "lm-eval's seeds (also seeds random gates)")->capture_default_str();
  cmd->add_option("--db", a->db, "Keep the run in this results database (resumable; `moebench report` shows "
                                 "the ablation); default: in memory");
  cmd->add_option("--run-name", a->run_name, "Run key in the database; the same key resumes the run");
  cmd->add_option("--routing", a->routing, "none, summary or tokens (default: tokens with --db, else summary)");
  cmd->add_flag("--json", a->json, "Print the ablation (the report's section 6 family, with timings) as JSON");
  add_sandbox_flags(cmd, a->allow_unsandboxed, a->sandbox_workers);
  a->flags.add_to(cmd, ModelFlags::Use::OwnGates);
  cmd->callback([a] {
    if (a->suites.empty() && a->tasks.empty()) fail_input("ablate", "give --suite or --tasks to evaluate on");
    if (!a->db.empty()) check_output_file(a->db, "--db");
    jobs::AblateJob job;
    job.recipe = a->recipe;
    job.variants = a->variants;
    jobs::RunPlan& plan = job.plan;
    plan.file = "ablate";
    plan.tasks.suites = a->suites;
    plan.tasks.tasks = a->tasks;
    plan.tasks.data = a->data;
    plan.tasks.tasks_dir = a->tasks_dir.empty() ? eval::default_tasks_dir() : std::filesystem::path(a->tasks_dir);
    plan.seeds = jobs::parse_seeds(a->seed, "--seed");
    plan.tasks.fewshot_seed = plan.seeds[3];
    plan.open = a->flags.options;
    if (plan.seeds[0] >= 0) plan.open.seed = static_cast<uint64_t>(plan.seeds[0]);
    plan.batch_size_text = a->batch;
    plan.engine.batch_size = engine::parse_batch_size(a->batch, "--batch-size");
    plan.eval.limit = a->limit;
    // Agreement needs routing; summary counts are enough without a file to keep tokens in.
    plan.routing.mode = store::parse_routing_mode(
        a->routing.empty() ? (a->db.empty() ? "summary" : "tokens") : a->routing, "--routing");
    plan.hash = jobs::fingerprint(fmt::format(
        "ablate|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", std::filesystem::absolute(a->recipe).string(),
        fmt::join(a->variants, ","), fmt::join(a->suites, ","), fmt::join(a->tasks, ","), fmt::join(a->data, ","),
        a->limit, a->seed, plan.open.load.device, plan.open.load.dtype, a->batch, a->routing));
    job.db = a->db;
    job.run.run_key = a->run_name;
    job.run.allow_unsandboxed_code = a->allow_unsandboxed;
    job.run.sandbox_workers = a->sandbox_workers;
    if (!a->db.empty()) job.run.resume_command = invocation();
    const jobs::AblateOutcome out = jobs::run_ablation(std::move(job));
    if (a->json) {
      nlohmann::ordered_json timings = nlohmann::ordered_json::array();
      for (const auto& m : out.models)
        timings.push_back({{"model", m.name}, {"ablation", m.ablation}, {"load_seconds", m.timing.load_seconds},
                           {"gate_seconds", m.timing.gate_seconds}, {"eval_seconds", m.timing.eval_seconds}});
      nlohmann::ordered_json j = {{"run_key", out.run_key}, {"ablation", out.family}, {"timings", timings},
                                  {"notes", out.notes}};
      std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      return;
    }
    std::cout << fmt::format("ablation of {} (run {}):\n", a->recipe, out.run_key);
    for (const std::string& line : jobs::ablation_table(out)) std::cout << line << "\n";
    if (!a->db.empty())
      std::cout << fmt::format("stored in {}; its report (section 6: ablations): moebench report --db {} --run {} "
                               "--out report.html\n", a->db, a->db, shell_quote(out.run_key));
  });
}

}  // namespace moebench::cli

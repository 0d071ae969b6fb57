// moebench eval: run suites and datasets on one model (or score stored
// generations without one) as a one-model plan, print lm-eval's score table,
// write its results JSON and samples. lm-eval's flag spellings are accepted.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/eval/suite.h"
#include "harness/jobs/eval_job.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/output_path.h"

namespace moebench::cli {
namespace {

struct EvalArgs {
  std::string out, samples, output_path, generations, chat_template = "none", tasks_dir, batch = "16";
  std::string db, run_name, gen_kwargs, seed = "0,1234,1234,1234", routing, force_expert;
  std::vector<std::string> suites, tasks, data;
  double limit = -1;
  int64_t num_fewshot = -1;
  bool add_bos = false, allow_unsandboxed = false, json = false, log_samples = false;
  int sandbox_workers = 0;
  ModelFlags flags;
};

std::string json_text(const nlohmann::ordered_json& j, int indent) {
  // A path or name given on the command line need not be UTF-8: show it as U+FFFD.
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `--tasks list`: what lm-eval's prints, for our bundled suites.
void print_task_list(const std::filesystem::path& dir) {
  for (const std::string& suite : eval::list_suites(dir)) {
    std::vector<std::string> names;
    for (const auto& spec : eval::load_suite(suite, dir).tasks) names.push_back(spec.task);
    std::cout << fmt::format("{}: {}\n", suite, fmt::join(names, ", "));
  }
}

// Before any work: each output can be written, and none is an input or the
// other output (the second would silently replace the first).
void check_outputs(const EvalArgs& a) {
  if (!a.out.empty()) check_output_file(a.out, "--out");
  if (!a.samples.empty()) check_output_file(a.samples, "--samples");
  if (!a.db.empty()) check_output_file(a.db, "--db");  // an existing database is resumed, not replaced
  if (!a.out.empty() && !a.samples.empty()) check_output_apart(a.samples, "--samples", a.out, "the --out file");
  for (const auto& [flag, path] : {std::pair{"--out", a.out}, std::pair{"--samples", a.samples}})
    if (!path.empty() && !a.generations.empty()) check_output_apart(path, flag, a.generations, "the --generations file");
  if (!a.output_path.empty()) {
    // A folder (made if missing) or FILE.json; the names inside get a date, so only the place is checked.
    const std::filesystem::path p = a.output_path;
    std::error_code ec;
    if (p.extension() == ".json") {
      check_output_file(p, "--output_path");
    } else if (std::filesystem::exists(p, ec) && !std::filesystem::is_directory(p, ec)) {
      fail_input("--output_path", "'{}' is a file; give a folder, or a path ending in .json", a.output_path);
    } else {
      check_output_file(p / "results.json", "--output_path");
    }
  }
  if (a.log_samples && a.output_path.empty() && a.samples.empty())
    fail_input("--log_samples", "give --output_path (lm-eval's samples files) or --samples FILE");
}

jobs::EvalJob make_job(const EvalArgs& a) {
  jobs::EvalJob job;
  job.generations = a.generations;
  if (!a.force_expert.empty() && !a.generations.empty())
    fail_input("--force-expert", "stored generations have no experts to force; give a recipe instead of --generations");
  job.force_expert = a.force_expert;
  if (a.generations.empty()) job.model = a.flags.required_model("eval");
  jobs::RunPlan& plan = job.plan;
  plan.file = "eval";
  plan.tasks.suites = a.suites;
  plan.tasks.tasks = a.tasks;
  plan.tasks.data = a.data;
  plan.tasks.tasks_dir = a.tasks_dir.empty() ? eval::default_tasks_dir() : std::filesystem::path(a.tasks_dir);
  plan.tasks.num_fewshot = a.num_fewshot;
  plan.seeds = jobs::parse_seeds(a.seed, "--seed");
  plan.tasks.fewshot_seed = plan.seeds[3];
  if (!a.gen_kwargs.empty()) plan.tasks.gen_kwargs = eval::parse_gen_kwargs(a.gen_kwargs);
  plan.open = a.flags.options;
  if (plan.seeds[0] >= 0) plan.open.seed = static_cast<uint64_t>(plan.seeds[0]);
  plan.batch_size_text = a.batch;
  plan.engine.batch_size = engine::parse_batch_size(a.batch, "--batch-size");
  plan.engine.add_bos_token = a.add_bos;
  plan.eval.limit = a.limit;
  plan.eval.chat = a.generations.empty() ? eval::resolve_chat_format(a.chat_template, job.model) : eval::ChatFormat::None;
  // Routing rows only where they are kept: a database file.
  plan.routing.mode = store::parse_routing_mode(a.routing.empty() ? (a.db.empty() ? "none" : "tokens") : a.routing,
                                                "--routing");
  // Everything that changes results names the run (its default key): a second
  // `eval --db` with other settings is another run, not a resumed one.
  plan.hash = jobs::fingerprint(fmt::format(
      "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}{}", job.model, job.generations, fmt::join(a.suites, ","),
      fmt::join(a.tasks, ","), fmt::join(a.data, ","), a.limit, a.num_fewshot, a.gen_kwargs, a.seed,
      a.chat_template, a.add_bos, plan.open.load.device, plan.open.load.dtype, plan.open.gates_file,
      a.batch, a.force_expert.empty() ? "" : "|force:" + a.force_expert));
  job.db = a.db;
  job.run.run_key = a.run_name;
  job.run.allow_unsandboxed_code = a.allow_unsandboxed;
  job.run.sandbox_workers = a.sandbox_workers;
  if (!a.db.empty()) job.run.resume_command = invocation();
  return job;
}

void run(const EvalArgs& a) {
  if (std::find(a.tasks.begin(), a.tasks.end(), "list") != a.tasks.end()) {
    print_task_list(a.tasks_dir.empty() ? eval::default_tasks_dir() : std::filesystem::path(a.tasks_dir));
    return;
  }
  check_outputs(a);
  const bool with_samples = !a.samples.empty() || a.log_samples;
  jobs::EvalOutcome outcome = jobs::run_eval(make_job(a), with_samples);
  std::cout << (a.json ? json_text(outcome.results, 2) + "\n" : outcome.table);

  // Every output is written in full before any is renamed into place, so a
  // failure leaves none (nor the directories made for them).
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  if (!a.out.empty()) files.emplace_back(a.out, json_text(outcome.results, 2) + "\n");
  const auto jsonl = [](const std::vector<nlohmann::ordered_json>& records) {
    std::string lines;
    for (const auto& r : records) lines += json_text(r, -1) + "\n";
    return lines;
  };
  if (!a.samples.empty()) {
    std::vector<nlohmann::ordered_json> all;
    for (const auto& [task, records] : outcome.samples)
      for (const auto& r : records) {
        nlohmann::ordered_json line{{"task", task}};
        line.update(r);
        all.push_back(std::move(line));
      }
    files.emplace_back(a.samples, jsonl(all));
  }
  if (!a.output_path.empty()) {
    std::vector<std::string> names;
    for (const auto& [task, records] : outcome.samples) names.push_back(task);
    const auto paths = jobs::lm_eval_output_files(a.output_path, outcome.results["model_name"].get<std::string>(),
                                                  names, jobs::lm_eval_date_id());
    files.emplace_back(paths.results, json_text(outcome.results, 2));
    if (a.log_samples)
      for (const auto& [task, records] : outcome.samples) files.emplace_back(paths.samples.at(task), jsonl(records));
  }
  std::vector<std::unique_ptr<ParentDirectories>> parents;
  std::vector<std::unique_ptr<AtomicPath>> staged;
  for (const auto& [path, text] : files) {
    parents.push_back(std::make_unique<ParentDirectories>(path));
    staged.push_back(std::make_unique<AtomicPath>(path));
    staged.back()->write(text);
  }
  for (auto& file : staged) file->commit();
  for (auto& made : parents) made->keep();
  if (!a.output_path.empty()) std::cerr << "results written under " << a.output_path << "\n";
}

}  // namespace

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand(
      "eval", "Evaluate a model on suites and datasets (lm-eval's flags work: --tasks, --limit, --num_fewshot, ...)");
  a->flags.add_to(cmd);
  cmd->add_option("--suite", a->suites, "Bundled suites (math,coding,truthfulness,roleplay) or suite YAML paths")
      ->delimiter(',');
  cmd->add_option("--tasks", a->tasks,
                  "Bundled suites or tasks, or task YAML paths (comma-separated); 'list' lists them")
      ->delimiter(',');
  cmd->add_option("--data", a->data, "Dataset adapter NAME=PATH (gsm8k, humaneval, mbpp, truthfulqa_mc1, truthfulqa_mc2, rolebench)");
  cmd->add_option("--tasks-dir", a->tasks_dir, "Where bundled suites live (default: the checkout's tasks/)");
  cmd->add_option("--generations", a->generations, "Score stored generations (JSONL of task, doc_id, response) without a model");
  cmd->add_option("--out", a->out, "Write the results JSON (lm-eval's layout) to this file");
  cmd->add_option("--output_path,--output-path,-o", a->output_path,
                  "lm-eval's outputs: DIR/<model>/results_<date>.json (or FILE.json -> FILE_<date>.json), "
                  "with --log_samples its samples_<task>_<date>.jsonl");
  cmd->add_flag("--log_samples,--log-samples,-s", a->log_samples, "Write lm-eval's per-task samples files");
  cmd->add_flag("--json", a->json, "Print the results JSON instead of the score table");
  cmd->add_option("--samples", a->samples, "Write every sample of every task to one JSONL (lm-eval's records plus 'task')");
  cmd->add_option("--limit", a->limit,
                  "The first N documents of each task; below 1.0 that fraction of them (0: all, as lm-eval)")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--num_fewshot,--num-fewshot", a->num_fewshot, "Few-shot examples for every task")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000}));
  cmd->add_option("--gen_kwargs,--gen-kwargs", a->gen_kwargs,
                  "Generation overrides: k=v,... or JSON (until, max_gen_toks; decoding is greedy)");
  cmd->add_option("--seed", a->seed, "lm-eval's seeds: one value, or random,numpy,torch[,fewshot]")
      ->capture_default_str();
  cmd->add_option("--batch-size,--batch_size", a->batch, "Sequences per forward pass, or auto")->capture_default_str();
  cmd->add_option("--chat-template", a->chat_template, "none, mistral, llama-2, chatml, zephyr, alpaca or auto")
      ->capture_default_str();
  cmd->add_flag("--add-bos-token", a->add_bos, "Prepend BOS to contexts (lm-eval's add_bos_token=True)");
  cmd->add_option("--db", a->db, "Keep the run in this results database (resumable; default: in memory)");
  cmd->add_option("--run-name", a->run_name, "Run key in the database; the same key resumes the run");
  cmd->add_option("--force-expert", a->force_expert,
                  "Oracle routing: send every token to this expert of the recipe (its source_model label)");
  cmd->add_option("--routing", a->routing, "none, summary or tokens (default: tokens with --db, else none)");
  add_sandbox_flags(cmd, a->allow_unsandboxed, a->sandbox_workers);
  cmd->callback([a] { run(*a); });
}

}  // namespace moebench::cli

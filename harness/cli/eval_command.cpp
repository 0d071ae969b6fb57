// moebench eval: run suites and datasets on a model (or score stored
// generations without one), print lm-eval's score table, write its results JSON.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/eval/eval_job.h"
#include "harness/eval/results_json.h"
#include "harness/eval/sandbox.h"
#include "harness/io/json_input.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/file_input.h"
#include "harness/util/output_path.h"
#include "harness/util/text.h"

namespace moebench::cli {
namespace {

struct EvalArgs {
  std::string model, out, samples, generations, chat_template = "none", tasks_dir, batch = "16";
  std::vector<std::string> suites, tasks, data;
  int64_t limit = -1;
  bool add_bos = false, allow_unsandboxed = false, json = false;
  int sandbox_workers = 0;
  ModelFlags flags;
};

// {task: {doc_id: [responses]}} from a JSONL of {"task", "doc_id", "response" | "resps"}.
std::map<std::string, std::map<size_t, std::vector<std::string>>> read_generations(
    const std::string& path) {
  std::map<std::string, std::map<size_t, std::vector<std::string>>> out;
  const std::string text = read_input_file(path, kMaxDatasetBytes);
  require_line_lengths(text, path, kMaxLineBytes);
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, n);
    nlohmann::json j = io::parse_json_text(line, where);
    if (!j.is_object()) fail_input(where, "expected a JSON object per line");
    if (!j.contains("task") || !j["task"].is_string()) fail_input(where, "field 'task' missing");
    if (!j.contains("doc_id") || !j["doc_id"].is_number_unsigned()) {
      fail_input(where, "field 'doc_id': expected a non-negative integer");
    }
    auto& texts = out[j["task"]][j["doc_id"].get<size_t>()];
    const auto& r = j.contains("resps") ? j["resps"] : j.value("response", nlohmann::json());
    for (const auto& t : r.is_array() ? r : nlohmann::json::array({r})) {
      if (!t.is_string()) fail_input(where, "responses must be strings");
      texts.push_back(t.get<std::string>());
    }
  }
  return out;
}

// Before any work: each output can be written, and none is an input or the
// other output (the second would silently replace the first).
void check_outputs(const EvalArgs& a) {
  if (!a.out.empty()) check_output_file(a.out, "--out");
  if (!a.samples.empty()) check_output_file(a.samples, "--samples");
  if (!a.out.empty() && !a.samples.empty()) check_output_apart(a.samples, "--samples", a.out, "the --out file");
  for (const auto& [flag, path] : {std::pair{"--out", a.out}, std::pair{"--samples", a.samples}})
    if (!path.empty() && !a.generations.empty()) check_output_apart(path, flag, a.generations, "the --generations file");
}

void run(const EvalArgs& a) {
  check_outputs(a);
  eval::TaskSelection selection{a.suites, a.tasks, a.data,
                                a.tasks_dir.empty() ? eval::default_tasks_dir() : std::filesystem::path(a.tasks_dir)};
  eval::LoadedTasks tasks = eval::load_tasks(selection);
  std::unique_ptr<eval::Sandbox> sandbox;
  if (eval::needs_sandbox(tasks.tasks)) {
    eval::SandboxOptions options;
    options.workers = a.sandbox_workers;
    options.allow_unsandboxed = a.allow_unsandboxed;
    sandbox = std::make_unique<eval::Sandbox>(options);
    std::cerr << "code sandbox: " << sandbox->describe() << "\n";
  }
  eval::EvalConfig config;
  config.limit = a.limit;
  std::vector<eval::TaskRun> runs;
  nlohmann::json extra;
  if (!a.generations.empty()) {
    auto generations = read_generations(a.generations);
    for (const auto& t : tasks.tasks) {
      auto it = generations.find(t.name());
      if (it == generations.end()) fail_input(a.generations, "no generations for task '{}'", t.name());
      runs.push_back(eval::score_generations(t, it->second, config, sandbox.get()));
    }
    extra["model_name"] = "generations:" + a.generations;
  } else {
    if (a.model.empty()) fail_input("eval", "give --model DIR (or --generations FILE)");
    auto lm = model::LanguageModel::load(a.model, a.flags.options);  // a recipe works too
    config.chat = eval::resolve_chat_format(a.chat_template, a.model);
    engine::EngineOptions engine_options;
    engine_options.batch_size = engine::parse_batch_size(a.batch, "--batch-size");
    engine_options.add_bos_token = a.add_bos;
    engine::Engine engine(lm, engine_options);
    for (const auto& t : tasks.tasks) runs.push_back(eval::evaluate_task(t, engine, config, sandbox.get()));
    extra = {{"model_name", a.model}, {"device", lm->device()}, {"dtype", lm->dtype()},
             {"batch_size", engine.batch_size()}, {"chat_template", eval::to_string(config.chat)}};
  }
  extra["limit"] = a.limit >= 0 ? nlohmann::json(a.limit) : nlohmann::json();
  nlohmann::json results = eval::results_of(tasks, runs, extra);
  // A path or name given on the command line need not be UTF-8: show it as U+FFFD.
  const auto json_text = [](const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::cout << (a.json ? json_text(results, 2) + "\n" : eval::score_table(results));
  // Both outputs are written in full before either is renamed into place, so
  // a failure leaves neither (nor the directories made for them).
  std::vector<std::unique_ptr<ParentDirectories>> parents;
  for (const std::string& path : {a.out, a.samples})
    if (!path.empty()) parents.push_back(std::make_unique<ParentDirectories>(path));
  std::unique_ptr<AtomicPath> out, samples;
  if (!a.out.empty()) {
    out = std::make_unique<AtomicPath>(a.out);
    out->write(json_text(results, 2) + "\n");
  }
  if (!a.samples.empty()) {
    std::string lines;
    for (size_t i = 0; i < runs.size(); ++i) {
      const auto& p = runs[i].prepared;
      for (size_t k = 0; k < p.docs.size(); ++k) {
        for (const std::string& filter : tasks.tasks[i].filter_names()) {
          nlohmann::json rec = eval::sample_record(tasks.tasks[i], p.docs[k], p.requests[k],
                                                   runs[i].responses[k], runs[i].scores[k], filter);
          rec["task"] = tasks.tasks[i].name();
          lines += json_text(rec, -1) + "\n";
        }
      }
    }
    samples = std::make_unique<AtomicPath>(a.samples);
    samples->write(lines);
  }
  if (out) out->commit();
  if (samples) samples->commit();
  for (auto& made : parents) made->keep();
}

}  // namespace

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a model on suites and datasets");
  cmd->add_option("--model", a->model, "Model directory or merge recipe (.yml)");
  cmd->add_option("--suite", a->suites, "Bundled suites (math,coding,truthfulness,roleplay) or suite YAML paths")
      ->delimiter(',');
  cmd->add_option("--tasks", a->tasks, "Single tasks: bundled task names or task YAML paths")
      ->delimiter(',');
  cmd->add_option("--data", a->data, "Dataset adapter NAME=PATH (gsm8k, humaneval, mbpp, truthfulqa_mc1, truthfulqa_mc2, rolebench)");
  cmd->add_option("--tasks-dir", a->tasks_dir, "Where bundled suites live (default: the checkout's tasks/)");
  cmd->add_option("--generations", a->generations, "Score stored generations (JSONL of task, doc_id, response) without a model");
  cmd->add_option("--out", a->out, "Write results JSON (lm-eval layout)");
  cmd->add_flag("--json", a->json, "Print the results JSON instead of the score table");
  cmd->add_option("--samples", a->samples, "Write per-sample JSONL (doc, prompt, response, filtered response, metrics)");
  cmd->add_option("--limit", a->limit, "Evaluate only the first N documents of each task")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000000}));
  cmd->add_option("--batch-size", a->batch, "Sequences per forward pass, or auto")->capture_default_str();
  cmd->add_option("--chat-template", a->chat_template, "none, mistral, llama-2, chatml, zephyr, alpaca or auto")
      ->capture_default_str();
  cmd->add_flag("--add-bos-token", a->add_bos, "Prepend BOS to contexts (lm-eval's add_bos_token=True)");
  cmd->add_flag("--allow-unsandboxed-code", a->allow_unsandboxed,
                "Run generated code without bubblewrap if bubblewrap is unusable (dangerous)");
  cmd->add_option("--sandbox-workers", a->sandbox_workers, "Parallel programs (0: all cores)")
      ->check(CLI::Range(0, 1024));
  a->flags.add_to(cmd);
  cmd->callback([a] { run(*a); });
}

}  // namespace moebench::cli

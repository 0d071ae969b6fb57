// moebench gates RECIPE --out gates.safetensors: only the router weights of a
// recipe (the fast path for prompt ablations); load them into a model with
// --gates FILE. No expert is resolved, read or written unless the gate mode
// runs the merged model (router_state, fitted) or --check does.
// --check SUITE: how often the merged model's routers, these gates in place,
// send the suite's prompt tokens to the expert the suite expects, per layer.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>

#include "harness/cli/commands.h"
#include "harness/merge/moe_assembly.h"
#include "harness/jobs/gate_check.h"
#include "harness/merge/gate_builder.h"
#include "harness/merge/merge_inputs.h"
#include "harness/util/error.h"
#include "harness/util/output_path.h"

namespace moebench::cli {
namespace {

// Layers down, suites across: a 32-layer model stays readable.
void print_agreement(const std::vector<jobs::SuiteAgreement>& suites, double seconds) {
  std::cout << "routing agreement (share of the prompts' tokens whose first-choice expert is the one the suite "
               "expects):\n";
  std::vector<size_t> width;
  for (const auto& s : suites)
    width.push_back(std::max({s.suite.size(), s.expert_label.size() + 6, size_t{9}}) + 2);
  auto row = [&](const std::string& head, auto cell) {
    std::string line = fmt::format("{:<9}", head);
    for (size_t i = 0; i < suites.size(); ++i) line += fmt::format("{:>{}}", cell(suites[i]), width[i]);
    std::cout << line << "\n";
  };
  row("", [](const auto& s) { return s.suite; });
  row("expert", [](const auto& s) { return fmt::format("{} ({})", s.expert_label, s.expert); });
  row("prompts", [](const auto& s) { return std::to_string(s.prompts); });
  row("tokens", [](const auto& s) { return std::to_string(s.tokens); });
  const size_t layers = suites.empty() ? 0 : suites[0].agreement.size();
  for (size_t l = 0; l < layers; ++l)
    row(fmt::format("layer {}", l), [l](const auto& s) { return fmt::format("{:.1f}%", 100 * s.agreement[l]); });
  row("mean", [](const auto& s) { return fmt::format("{:.1f}%", 100 * s.mean); });
  std::cout << fmt::format("checked in {:.2f} s\n", seconds);
}

nlohmann::json agreement_json(const std::vector<jobs::SuiteAgreement>& suites) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : suites)
    out.push_back({{"suite", s.suite},       {"expected_expert", s.expert_label}, {"expert", s.expert},
                   {"prompts", s.prompts},   {"tokens", s.tokens},                {"expected_first", s.expected_first},
                   {"agreement", s.agreement}, {"mean", s.mean}});
  return out;
}

}  // namespace

void register_gates(CLI::App& app) {
  struct Args {
    std::string recipe, out, gates, tasks_dir;
    std::vector<std::string> check;
    int64_t check_limit = 0;
    bool json = false;
    merge::MergeOptions options;
    jobs::GateCheckOptions check_options;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("gates", "Compute only the router weights of a mergekit-moe recipe, and check "
                                          "where they route a suite's prompts");
  cmd->add_option("RECIPE", a->recipe, "mergekit-moe YAML recipe")->required();
  auto* out = cmd->add_option("--out", a->out, "Output safetensors file (replaced atomically; optional with --check)");
  cmd->add_option("--gates", a->gates, "Check these gates (a `moebench gates` file) instead of computing them")
      ->excludes(out);
  cmd->add_option("--check", a->check,
                  "Suites (repeatable or comma list) whose prompts the merged model, with these gates, reads: "
                  "prints per layer how many of their tokens go first to the expert each suite's "
                  "expected_expert names (runs on --device)")
      ->delimiter(',');
  cmd->add_option("--tasks-dir", a->tasks_dir, "Where --check's suites live (default: the checkout's tasks/)");
  cmd->add_option("--check-limit", a->check_limit, "--check reads the first N documents of each task (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--dtype", a->check_options.load.dtype, "dtype of --check's merged model: float32, bfloat16, "
                                                          "float16 or auto (the recipe's)")
      ->capture_default_str();
  cmd->add_option("--batch-size", a->check_options.batch_size, "Prompts per forward pass of --check")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--add-bos-token", a->check_options.add_bos_token,
                "--check prompts start with BOS (as eval's --add-bos-token)");
  cmd->add_flag("--json", a->json, "Print the diagnostics (and the check) as JSON");
  add_recipe_flags(cmd, a->options);
  cmd->footer(
      "\n--check prints, per layer, the share of the suites' prompt tokens whose first-choice expert is the one "
      "each suite's expected_expert names (as a run's report counts agreement, prompts only).\n"
      "Example: moebench gates models/demo/demo-fitted.yml --check demo_math,demo_coding "
      "--tasks-dir models/demo/tasks");
  cmd->callback([a] {
    if (a->out.empty() && a->check.empty())
      fail_input("moebench gates", "nothing to do: give --out FILE to write the gates, --check SUITE to check "
                 "their routing, or both");
    merge::MergeRecipe recipe = merge::MergeRecipe::load(a->recipe);
    // The suites first: a typo must not wait for the gate forward pass.
    std::optional<jobs::GateCheckPlan> plan;
    if (!a->check.empty()) {
      jobs::GateCheckOptions& c = a->check_options;
      c.suites = a->check;
      c.tasks_dir = a->tasks_dir;
      c.limit = a->check_limit;
      c.load.device = merge::gate_device(a->options);
      c.load.threads = a->options.threads;
      model::check_load_options(c.load);
      plan = jobs::plan_gate_check(a->recipe, c);
    }
    a->options.gates_file = a->gates;
    std::optional<ParentDirectories> parents;
    if (!a->out.empty()) {
      check_output_file(a->out, "--out");  // before the gate forward pass, which may be slow
      merge::check_output_apart_from_inputs(recipe, a->options, a->out, "--out");
      parents.emplace(a->out);  // removed again if the gates are not written
    }
    const merge::GatesSummary s = jobs::recipe_gates_summary(recipe, a->options, a->out);
    if (parents) parents->keep();
    std::vector<jobs::SuiteAgreement> agreement;
    double check_seconds = 0;
    if (plan) {
      const auto start = std::chrono::steady_clock::now();
      const auto lm = merge::load_merged_model(recipe, s.gates, a->gates.empty() ? a->recipe : a->gates,
                                               plan->options.load, a->options);
      agreement = jobs::routing_agreement(*lm, *plan);
      check_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    if (a->json) {
      nlohmann::json layers = nlohmann::json::array();
      for (const auto& d : s.diagnostics.layers)
        layers.push_back({{"layer", d.layer}, {"condition_number", d.condition_number}, {"cosine", d.cosine}});
      nlohmann::json out = {{"gates_file", a->gates.empty() ? a->out : a->gates},
                            {"gate_mode", merge::gate_mode_name(recipe.gate_mode)},
                            {"layers", s.gates.layers},
                            {"experts", s.gates.experts},
                            {"hidden", s.gates.hidden},
                            {"seconds", s.seconds},
                            {"diagnostics", layers},
                            {"diagnostics_rows", s.diagnostics.layers.empty() || !s.diagnostics.layers[0].centered
                                                     ? "raw" : "centered"},
                            {"warnings", s.diagnostics.warnings}};
      if (plan) out["check"] = agreement_json(agreement), out["check_seconds"] = check_seconds;
      std::cout << out.dump(2) << "\n";
      return;
    }
    if (a->gates.empty())
      std::cout << fmt::format("gates: {} for {} layers x {} experts x {} hidden, float32 on {}, {:.2f} s\n",
                               merge::gate_mode_name(recipe.gate_mode), s.gates.layers, s.gates.experts,
                               s.gates.hidden, merge::gate_device(a->options), s.seconds);
    else
      std::cout << fmt::format("gates: {} ({} layers x {} experts x {} hidden), read as the recipe's {} gates\n",
                               a->gates, s.gates.layers, s.gates.experts, s.gates.hidden,
                               merge::gate_mode_name(recipe.gate_mode));
    print_gate_report(s.diagnostics);
    if (!a->out.empty()) std::cout << "wrote " << a->out << "\n";
    if (plan) print_agreement(agreement, check_seconds);
  });
}

}  // namespace moebench::cli

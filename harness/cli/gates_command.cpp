// moebench gates RECIPE --out gates.safetensors: only the router weights of a
// recipe (the fast path for prompt ablations); load them into a model with
// --gates FILE. No expert is resolved, read or written.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/merge/gates_file.h"
#include "harness/merge/merge_inputs.h"
#include "harness/util/output_path.h"

namespace moebench::cli {

void register_gates(CLI::App& app) {
  struct Args {
    std::string recipe, out;
    bool json = false;
    merge::MergeOptions options;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("gates", "Compute only the router weights of a mergekit-moe recipe");
  cmd->add_option("RECIPE", a->recipe, "mergekit-moe YAML recipe")->required();
  cmd->add_option("--out", a->out, "Output safetensors file (replaced atomically)")->required();
  cmd->add_flag("--json", a->json, "Print the diagnostics as JSON");
  add_recipe_flags(cmd, a->options);
  cmd->callback([a] {
    merge::MergeRecipe recipe = merge::MergeRecipe::load(a->recipe);
    check_output_file(a->out, "--out");  // before the gate forward pass, which may be slow
    merge::check_output_apart_from_inputs(recipe, a->options, a->out, "--out");
    ParentDirectories parents(a->out);  // removed again if the gates are not written
    merge::GatesSummary s = merge::recipe_gates_to_file(recipe, a->out, a->options);
    parents.keep();
    if (a->json) {
      nlohmann::json layers = nlohmann::json::array();
      for (const auto& d : s.diagnostics.layers)
        layers.push_back({{"layer", d.layer}, {"condition_number", d.condition_number}, {"cosine", d.cosine}});
      nlohmann::json out = {{"gates_file", a->out},           {"gate_mode", merge::gate_mode_name(recipe.gate_mode)},
                            {"layers", s.gates.layers},       {"experts", s.gates.experts},
                            {"hidden", s.gates.hidden},       {"seconds", s.seconds},
                            {"diagnostics", layers},          {"warnings", s.diagnostics.warnings}};
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << fmt::format("gates: {} for {} layers x {} experts x {} hidden, float32 on {}, {:.2f} s\n",
                             merge::gate_mode_name(recipe.gate_mode), s.gates.layers, s.gates.experts,
                             s.gates.hidden, merge::gate_device(a->options), s.seconds);
    print_gate_report(s.diagnostics);
    std::cout << "wrote " << a->out << "\n";
  });
}

}  // namespace moebench::cli

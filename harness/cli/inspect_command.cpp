// moebench inspect MODEL_DIR: the module tree and parameter counts, from config.json.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/io/parameter_count.h"
#include "harness/model/architecture_tree.h"
#include "harness/util/text.h"

namespace moebench::cli {

void register_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Print a model's architecture and parameter counts");
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("MODEL_DIR", *dir, "Hugging Face model directory (config.json)")->required();
  cmd->add_flag("--json", *json, "Print counts and config as JSON");
  cmd->callback([dir, json] {
    io::ModelConfig config = io::ModelConfig::load(*dir);
    io::ParameterCounts counts = io::count_parameters(config);
    if (*json) {
      nlohmann::json out = {{"model", *dir},
                            {"architecture", config.architecture},
                            {"total_parameters", counts.total},
                            {"active_parameters", counts.active},
                            {"num_experts", config.num_experts},
                            {"experts_per_token", config.experts_per_token},
                            {"config", config.raw}};
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << model::architecture_tree(config) << "\n";
    std::cout << fmt::format("total parameters:  {} ({})\n", with_thousands(counts.total),
                             human_count(static_cast<double>(counts.total)));
    std::string active_note =
        config.is_moe() ? fmt::format(" with top-{} of {} experts", config.experts_per_token,
                                      config.num_experts)
                        : "";
    std::cout << fmt::format("active parameters: {} ({}){}\n", with_thousands(counts.active),
                             human_count(static_cast<double>(counts.active)), active_note);
  });
}

}  // namespace moebench::cli

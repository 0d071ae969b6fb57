// moebench inspect MODEL: the module tree and parameter counts, from a model
// directory's config.json or, for a merge recipe, from the config the merge
// would write (only config.json files and safetensors headers are read).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/io/parameter_count.h"
#include "harness/merge/merge_inputs.h"
#include "harness/model/architecture_tree.h"
#include "harness/util/text.h"

namespace moebench::cli {

void register_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Print a model's architecture and parameter counts");
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto search_dirs = std::make_shared<std::vector<std::filesystem::path>>();
  cmd->add_option("MODEL", *dir, "Hugging Face model directory (config.json) or mergekit-moe recipe (.yml)")
      ->required();
  cmd->add_option("--models-dir", *search_dirs,
                  "Directories a recipe's relative model paths are tried against (repeatable)");
  cmd->add_flag("--json", *json, "Print counts and config as JSON");
  cmd->callback([dir, json, search_dirs] {
    io::ModelConfig config;
    std::string merged_from;
    if (merge::is_recipe_path(*dir)) {
      merge::MergeOptions options;
      options.search_dirs = *search_dirs;
      merge::MergeInputs inputs =
          merge::open_merge_inputs(merge::MergeRecipe::load(*dir), options, merge::InputScope::Full);
      config = inputs.config;
      merged_from = fmt::format("merge of {} experts on base {} (gate_mode {})", inputs.experts.size(),
                                inputs.base.where.dir.string(), merge::gate_mode_name(inputs.recipe.gate_mode));
    } else {
      config = io::ModelConfig::load(*dir);
    }
    io::ParameterCounts counts = io::count_parameters(config);
    if (*json) {
      nlohmann::json out = {{"model", *dir},
                            {"architecture", config.architecture},
                            {"total_parameters", counts.total},
                            {"active_parameters", counts.active},
                            {"num_experts", config.num_experts},
                            {"experts_per_token", config.experts_per_token},
                            {"config", config.raw}};
      if (!merged_from.empty()) out["merged_from"] = merged_from;
      std::cout << out.dump(2) << "\n";
      return;
    }
    if (!merged_from.empty()) std::cout << merged_from << "\n";
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

#include "harness/jobs/open_model.h"

#include <optional>

#include "harness/merge/gates_file.h"
#include "harness/merge/merge_recipe.h"
#include "harness/merge/moe_assembly.h"
#include "harness/util/error.h"

namespace moebench::jobs {

std::shared_ptr<model::LanguageModel> open_model(const std::string& path, const OpenModelOptions& options) {
  if (merge::is_recipe_path(path)) {
    merge::MergeOptions merge_options;
    merge_options.search_dirs = options.models_dir;
    merge_options.seed = options.seed;
    merge_options.threads = options.load.threads;
    merge_options.gates_file = options.gates_file;
    return merge::load_merged_model(merge::MergeRecipe::load(path), options.load, merge_options);
  }
  auto lm = model::LanguageModel::load(path, options.load);
  if (options.gates_file.empty()) return lm;
  const io::ModelConfig& c = lm->config();
  if (!c.is_moe())
    fail_input(options.gates_file, "--gates: the model is a dense {} without routers", c.architecture);
  const merge::GateSet gates = merge::read_gates_file(options.gates_file);
  merge::check_gates_shape(gates, c.num_layers, c.num_experts, c.hidden_size, options.gates_file);
  // A merged directory keeps its recipe: the gates must be for its experts.
  const std::filesystem::path recipe_file = std::filesystem::path(path) / "mergekit_moe_config.yml";
  if (std::filesystem::is_regular_file(recipe_file)) {
    std::optional<merge::MergeRecipe> recipe;
    try {
      recipe = merge::MergeRecipe::load(recipe_file);
    } catch (const InputError&) {
      // a recipe moebench cannot read says nothing about the experts' order
    }
    if (recipe) merge::check_gates_fit(merge::read_gates_lineage(options.gates_file), *recipe, options.gates_file);
  }
  return lm->with_routers(gates.values);
}

}  // namespace moebench::jobs

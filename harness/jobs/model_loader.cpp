#include "harness/jobs/model_loader.h"


#include <nlohmann/json.hpp>

#include <chrono>
#include <map>

#include "harness/merge/gates_file.h"
#include "harness/merge/moe_assembly.h"
#include "harness/model/cpu_threads.h"
#include "harness/model/language_model_impl.h"

namespace moebench::jobs {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct ModelLoader::Kept {
  std::string path;
  merge::MergeInputs inputs;
  merge::MergeOptions merge_options;
  model::LoadOptions gate_load;  // float32 on the evaluation's device: how gates are computed
  std::shared_ptr<const model::ModelWeights> weights;       // on the evaluation's placement
  std::shared_ptr<const model::ModelWeights> gate_weights;  // float32 for router_state / fitted; made on demand
  // Gates already computed, by what they are computed from: variants that
  // change only the experts per token reuse the recipe's.
  std::map<std::string, merge::GateSet> gates;
};

void ModelLoader::release() { kept_.reset(); }

ModelLoader::Kept& ModelLoader::recipe_weights(const std::string& path, double* seconds) {
  if (kept_ && kept_->path == path) return *kept_;
  release();  // the previous recipe's weights go before the next one's come
  const auto start = std::chrono::steady_clock::now();
  auto k = std::make_shared<Kept>();
  k->path = path;
  k->merge_options.search_dirs = options_.models_dir;
  k->merge_options.seed = options_.seed;
  k->merge_options.threads = options_.load.threads;
  k->merge_options.device = options_.load.device;
  k->inputs = merge::open_merge_inputs(merge::MergeRecipe::load(path), k->merge_options, merge::InputScope::Full);
  model::use_cpu_threads(options_.load.threads);
  const model::TensorPlacement placement = model::parse_placement(options_.load, k->inputs.config);
  k->gate_load = options_.load;
  k->gate_load.dtype = "float32";
  k->weights = merge::assemble_moe_weights(k->inputs, merge::GateSet::zeros(k->inputs.config), placement,
                                           options_.seed);
  if (placement.dtype == at::kFloat) k->gate_weights = k->weights;  // one assembly serves both
  kept_ = std::move(k);
  *seconds = seconds_since(start);
  return *kept_;
}

OpenedModel ModelLoader::open(const PlanModel& m) {
  OpenedModel out;
  auto start = std::chrono::steady_clock::now();
  if (!merge::is_recipe_path(m.path) || !m.gates_file.empty()) {
    release();
    OpenModelOptions options = options_;
    options.gates_file = m.gates_file;
    out.lm = open_model(m.path, options);
    out.load_seconds = seconds_since(start);
    return out;
  }
  Kept& k = recipe_weights(m.path, &out.load_seconds);
  merge::MergeInputs in = k.inputs;
  if (m.variant_recipe) in.recipe = *m.variant_recipe;
  if (merge::gate_mode_needs_experts(in.recipe.gate_mode) && !k.gate_weights) {
    start = std::chrono::steady_clock::now();
    k.gate_weights = merge::assemble_moe_weights(
        k.inputs, merge::GateSet::zeros(k.inputs.config),
        model::parse_placement(k.gate_load, k.inputs.config), options_.seed);
    out.load_seconds += seconds_since(start);
  }
  start = std::chrono::steady_clock::now();
  const bool needs_model = merge::gate_mode_needs_experts(in.recipe.gate_mode);
  nlohmann::json source = {merge::gate_mode_name(in.recipe.gate_mode)};
  for (const auto& e : in.recipe.experts) source.push_back({e.positive_prompts, e.negative_prompts});
  auto it = k.gates.find(source.dump());
  if (it == k.gates.end())
    it = k.gates.emplace(source.dump(), merge::compute_gates(in, k.merge_options, needs_model ? k.gate_weights : nullptr))
             .first;
  const merge::GateSet& gates = it->second;
  auto weights = merge::with_gates(*k.weights, in, gates, in.recipe.experts_per_token);
  out.gate_seconds = seconds_since(start);
  out.lm = std::make_shared<model::LanguageModel>(
      std::make_unique<model::TransformerRuntime>(std::move(weights), in.tokenizer));
  return out;
}

}  // namespace moebench::jobs

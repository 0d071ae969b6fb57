#include "harness/merge/moe_assembly.h"


#include "harness/merge/gates_file.h"
#include "harness/merge/merge_tensors.h"
#include "harness/merge/source_pages.h"
#include "harness/model/cpu_threads.h"
#include "harness/model/language_model_impl.h"

namespace moebench::merge {

std::shared_ptr<const model::ModelWeights> assemble_moe_weights(const MergeInputs& in, const GateSet& gates,
                                                                const model::TensorPlacement& placement,
                                                                uint64_t seed) {
  const io::ModelConfig& c = in.config;
  auto get = [&](const TensorRef& ref) {
    at::Tensor t = merged_tensor(in, gates, ref, seed);
    at::Tensor placed = t.to(placement.device, placement.dtype);  // no-op for a matching view
    auto view = source_view(in, ref);
    if (view && static_cast<const void*>(placed.data_ptr()) != static_cast<const void*>(view->data))
      release_source_pages(*view);  // a copy: the file's pages are no longer needed
    return placed;
  };
  auto w = std::make_shared<model::ModelWeights>();
  w->config = c;
  w->embed = get({Part::Embed});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    model::LayerWeights layer;
    layer.input_norm = get({Part::InputNorm, l});
    layer.q = get({Part::Q, l});
    layer.k = get({Part::K, l});
    layer.v = get({Part::V, l});
    layer.o = get({Part::O, l});
    layer.post_norm = get({Part::PostNorm, l});
    layer.router = get({Part::Router, l});
    for (int64_t e = 0; e < c.num_experts; ++e)
      layer.experts.push_back({get({Part::ExpertGate, l, e}), get({Part::ExpertUp, l, e}),
                               get({Part::ExpertDown, l, e})});
    w->layers.push_back(std::move(layer));
  }
  w->final_norm = get({Part::FinalNorm});
  // As load_model_weights: a tied model's head is its embedding.
  w->lm_head = c.tie_word_embeddings ? w->embed : get({Part::LmHead});
  return w;
}

std::shared_ptr<const model::ModelWeights> with_gates(const model::ModelWeights& weights, const MergeInputs& in,
                                                      const GateSet& gates, int64_t experts_per_token) {
  auto out = std::make_shared<model::ModelWeights>(weights);
  if (experts_per_token > 0) {
    out->config.experts_per_token = experts_per_token;
    out->config.raw["num_experts_per_tok"] = experts_per_token;
  }
  for (int64_t l = 0; l < in.config.num_layers; ++l) {
    const at::Tensor& old = weights.layers[l].router;
    out->layers[l].router = merged_tensor(in, gates, {Part::Router, l}, 0).to(old.device(), old.scalar_type());
  }
  return out;
}

namespace {

// The recipe's inputs opened for the model on `load`'s device and placement;
// `gates` (given gates, or null: the recipe's own) assembled into it.
std::shared_ptr<model::LanguageModel> merged_model(const MergeRecipe& recipe, const GateSet* gates,
                                                   const std::string& gates_origin, const model::LoadOptions& load,
                                                   const MergeOptions& options) {
  MergeOptions opts = options;
  opts.device = load.device;
  MergeInputs in = open_merge_inputs(recipe, opts, InputScope::Full);
  const model::TensorPlacement placement = model::parse_placement(load, in.config);
  model::use_cpu_threads(load.threads);
  std::shared_ptr<const model::ModelWeights> weights;
  if (gates) {
    check_gates_shape(*gates, in.config.num_layers, in.config.num_experts, in.config.hidden_size, gates_origin);
    weights = assemble_moe_weights(in, *gates, placement, opts.seed);
  } else if (opts.gates_file.empty() && gate_mode_needs_experts(recipe.gate_mode) && placement.dtype == at::kFloat) {
    // The gate forwards run the merged model in float32 on this device: one
    // assembly serves them and the evaluation, so each expert is read once.
    weights = assemble_moe_weights(in, GateSet::zeros(in.config), placement, opts.seed);
    weights = with_gates(*weights, in, compute_gates(in, opts, weights));
  } else {
    weights = assemble_moe_weights(in, recipe_gates(in, opts), placement, opts.seed);
  }
  return std::make_shared<model::LanguageModel>(
      std::make_unique<model::TransformerRuntime>(std::move(weights), in.tokenizer));
}

}  // namespace

std::shared_ptr<model::LanguageModel> load_merged_model(const MergeRecipe& recipe, const model::LoadOptions& load,
                                                        const MergeOptions& options) {
  return merged_model(recipe, nullptr, "", load, options);
}

std::shared_ptr<model::LanguageModel> load_merged_model(const MergeRecipe& recipe, const GateSet& gates,
                                                        const std::string& gates_origin,
                                                        const model::LoadOptions& load, const MergeOptions& options) {
  return merged_model(recipe, &gates, gates_origin, load, options);
}

}  // namespace moebench::merge

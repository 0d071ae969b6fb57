#include "harness/merge/gate_builder.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <malloc.h>

#include <cmath>
#include <functional>

#include "harness/merge/merge_plan.h"
#include "harness/merge/moe_assembly.h"
#include "harness/merge/router_state_gates.h"
#include "harness/merge/source_pages.h"
#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"

namespace moebench::merge {
namespace {

// f(prompts) -> [L, H] float32: one expert's unnormalised vector per layer.
using PromptVector = std::function<at::Tensor(const PromptBatch&)>;

at::Tensor ids_tensor(const PromptBatch& batch) {
  const int64_t B = batch.ids.size(), T = batch.ids[0].size();
  at::Tensor ids = at::empty({B, T}, at::kLong);
  auto a = ids.accessor<int64_t, 2>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) a[b][t] = batch.ids[b][t];
  return ids;
}

at::Tensor mask_tensor(const PromptBatch& batch) {
  const int64_t B = batch.mask.size(), T = batch.mask[0].size();
  at::Tensor mask = at::empty({B, T}, at::kBool);
  auto a = mask.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) a[b][t] = batch.mask[b][t] != 0;
  return mask;
}

}  // namespace

model::ForwardBatch prompt_forward_batch(const PromptBatch& batch, at::Device device) {
  model::ForwardBatch fb;
  fb.ids = ids_tensor(batch).to(device);
  fb.start = at::zeros({fb.ids.size(0)}, at::kLong);  // positions 0..T-1, pads included
  fb.valid = mask_tensor(batch).to(device);           // pads are never attended to
  return fb;
}

namespace {

// mergekit's get_hidden_states: hidden_states[:-1] stacked [L, B, T, H], then
// the last position (or the sum over T divided by T), then the mean over B.
PromptVector hidden_states(std::shared_ptr<const model::Transformer> transformer, bool average) {
  return [transformer, average](const PromptBatch& batch) {
    const model::ForwardBatch fb = prompt_forward_batch(batch, transformer->weights().embed.device());
    std::vector<at::Tensor> layer_inputs;
    transformer->forward(fb, nullptr, {nullptr, &layer_inputs});
    at::Tensor hs = at::stack(layer_inputs).to(at::kFloat);  // [L, B, T, H]
    hs = average ? hs.sum(2) / static_cast<double>(hs.size(2)) : hs.select(2, hs.size(2) - 1);
    return hs.sum(1) / static_cast<double>(hs.size(1));
  };
}

// mergekit's get_cheap_embedding: embedding rows of the non-pad tokens summed
// over positions and prompts, normalised, repeated for every layer.
PromptVector cheap_embedding(at::Tensor embed, int64_t layers) {
  return [embed, layers](const PromptBatch& batch) {
    at::Tensor ids = ids_tensor(batch).to(embed.device());
    at::Tensor mask = mask_tensor(batch).to(embed.device()).to(at::kFloat);
    at::Tensor h = at::embedding(embed, ids) * mask.unsqueeze(-1);  // [B, T, H]
    at::Tensor sum = h.sum(1).sum(0, /*keepdim=*/true);              // [1, H]
    return (sum / sum.norm(2, -1, true).clamp_min(1e-8)).repeat({layers, 1});
  };
}

at::Tensor random_gates(GateMode mode, int64_t L, int64_t E, int64_t H, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  if (mode == GateMode::Random) return at::randn({L, E, H}, gen, at::kFloat);
  // torch.rand(...) * 2 * scale - scale with scale = sqrt(1 / in_features)
  const double scale = std::sqrt(1.0 / static_cast<double>(H));
  return at::rand({L, E, H}, gen, at::kFloat) * 2 * scale - scale;
}

// The base as a dense model for the gate forward, bound one tensor at a time:
// each converted tensor's file pages are dropped at once, so the peak is the
// float32 copy rather than the copy plus the whole (bfloat16) file.
std::shared_ptr<const model::ModelWeights> dense_base(const SourceModel& base, const model::TensorPlacement& placement) {
  const io::ModelConfig& c = base.config;
  auto get = [&](Part part, int64_t layer = -1) {
    const TensorRef ref{part, layer};
    at::Tensor t = model::load_tensor(base.store, source_name(ref), tensor_shape(c, ref), placement);
    io::TensorView view = base.store->get(source_name(ref));
    if (t.data_ptr() != static_cast<const void*>(view.data)) release_source_pages(view);
    return t;
  };
  auto w = std::make_shared<model::ModelWeights>();
  w->config = c;
  w->embed = get(Part::Embed);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    model::LayerWeights layer;
    layer.input_norm = get(Part::InputNorm, l);
    layer.q = get(Part::Q, l), layer.k = get(Part::K, l), layer.v = get(Part::V, l), layer.o = get(Part::O, l);
    layer.post_norm = get(Part::PostNorm, l);
    // The dense MLP: the expert parts name the base's own mlp.*_proj tensors.
    layer.experts = {{get(Part::ExpertGate, l), get(Part::ExpertUp, l), get(Part::ExpertDown, l)}};
    w->layers.push_back(std::move(layer));
  }
  w->final_norm = get(Part::FinalNorm);
  w->lm_head = c.tie_word_embeddings ? w->embed : get(Part::LmHead);
  return w;
}

// [L, E, H] gates of every mode; the base's float32 copy dies with this frame.
at::Tensor gate_tensor(const MergeInputs& in, const MergeOptions& options,
                       std::shared_ptr<const model::ModelWeights> merged) {
  const io::ModelConfig& c = in.base.config;
  const int64_t L = c.num_layers, H = c.hidden_size, E = in.recipe.experts.size();
  const GateMode mode = in.recipe.gate_mode;
  if (mode == GateMode::Random || mode == GateMode::UniformRandom) return random_gates(mode, L, E, H, options.seed);
  // Tokenised before the base is loaded: a prompt that cannot run fails first.
  // Hidden-state modes run the prompts through the base, so each must fit its
  // context (a 1 MB prompt would ask for attention scores of hundreds of GB).
  const int64_t max_tokens = mode == GateMode::CheapEmbed ? 0 : c.max_position_embeddings;
  std::vector<PromptBatch> positives, negatives;
  for (size_t e = 0; e < in.recipe.experts.size(); ++e) {
    const ExpertRecipe& expert = in.recipe.experts[e];
    const std::string field = fmt::format("{}: experts[{}].", in.recipe.where(), e);
    auto batch = [&](const std::vector<std::string>& prompts, const std::string& name) {
      return prompts.empty() ? PromptBatch{} : tokenize_prompts(*in.tokenizer, prompts, max_tokens, field + name);
    };
    positives.push_back(batch(expert.positive_prompts, "positive_prompts"));
    negatives.push_back(batch(expert.negative_prompts, "negative_prompts"));
  }
  model::LoadOptions load;
  load.device = gate_device(options);
  const model::TensorPlacement placement = model::parse_placement(load, c);  // float32 always
  if (gate_mode_needs_experts(mode)) {
    if (!merged) merged = assemble_moe_weights(in, GateSet::zeros(in.config), placement, options.seed);
    return router_state_gate_tensor(merged, positives, negatives, mode == GateMode::Fitted);
  }
  PromptVector vector_of;
  if (mode == GateMode::CheapEmbed) {
    at::Tensor embed = model::load_tensor(in.base.store, "model.embed_tokens.weight", {c.vocab_size, H}, placement);
    vector_of = cheap_embedding(embed, L);
  } else {
    vector_of = hidden_states(std::make_shared<model::Transformer>(dense_base(in.base, placement)),
                              mode == GateMode::HiddenAvg);
  }
  std::vector<at::Tensor> per_expert;
  for (size_t e = 0; e < positives.size(); ++e) {
    if (positives[e].ids.empty()) {  // its prompts left out: no preference either way
      per_expert.push_back(at::zeros({L, H}, at::TensorOptions().dtype(at::kFloat).device(placement.device)));
      continue;
    }
    at::Tensor v = vector_of(positives[e]);
    if (!negatives[e].ids.empty()) v = v - vector_of(negatives[e]);
    per_expert.push_back(v / v.norm(2, -1, true).clamp_min(1e-8));
  }
  return at::stack(per_expert, 1);  // [L, E, H]
}

}  // namespace

PromptBatch tokenize_prompts(const io::Tokenizer& tokenizer, const std::vector<std::string>& prompts,
                             int64_t max_tokens, const std::string& field) {
  const int32_t bos = tokenizer.bos_id();
  const int32_t pad = bos >= 0 ? bos : std::max(tokenizer.eos_id(), 0);
  std::vector<std::vector<int32_t>> rows;
  size_t T = 0;
  for (const std::string& prompt : prompts) {
    std::vector<int32_t> ids;
    if (bos >= 0) ids.push_back(bos);  // mergekit prepends the BOS text, then adds no special tokens
    for (int32_t id : tokenizer.encode(prompt, /*add_special_tokens=*/false)) ids.push_back(id);
    if (ids.empty()) fail_input(tokenizer.source(), "prompt '{}' gives no tokens (and there is no BOS)", prompt);
    if (max_tokens > 0 && static_cast<int64_t>(ids.size()) > max_tokens)
      fail_input(field.empty() ? tokenizer.source() : field,
                 "prompt {} is {} tokens long, over the base model's context of {} "
                 "(max_position_embeddings)",
                 rows.size(), ids.size(), max_tokens);
    T = std::max(T, ids.size());
    rows.push_back(std::move(ids));
  }
  PromptBatch batch;
  for (auto& ids : rows) {
    const size_t pads = T - ids.size();
    std::vector<int32_t> padded(pads, pad);
    padded.insert(padded.end(), ids.begin(), ids.end());
    std::vector<uint8_t> mask(pads, 0);
    mask.resize(T, 1);
    batch.ids.push_back(std::move(padded));
    batch.mask.push_back(std::move(mask));
  }
  return batch;
}

std::string gate_device(const MergeOptions& options) {
  if (options.device != "auto") return options.device;
  return at::hasCUDA() ? "cuda" : "cpu";
}

GateSet GateSet::zeros(const io::ModelConfig& merged) {
  const int64_t L = merged.num_layers, E = merged.num_experts, H = merged.hidden_size;
  return {L, E, H, std::vector<float>(static_cast<size_t>(L * E * H), 0.0f)};
}

GateSet compute_gates(const MergeInputs& in, const MergeOptions& options,
                      std::shared_ptr<const model::ModelWeights> merged) {
  c10::InferenceMode guard;
  at::Tensor gates = gate_tensor(in, options, std::move(merged)).to(at::kCPU, at::kFloat).contiguous();
#ifdef __GLIBC__
  // The float32 base just freed sits in malloc's free lists (glibc raises its
  // mmap threshold as large blocks are freed); hand it back before the write.
  malloc_trim(0);
#endif
  GateSet out{gates.size(0), gates.size(1), gates.size(2), {}};
  out.values.assign(gates.data_ptr<float>(), gates.data_ptr<float>() + gates.numel());
  return out;
}

}  // namespace moebench::merge

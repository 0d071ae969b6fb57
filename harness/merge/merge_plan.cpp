#include "harness/merge/merge_plan.h"

#include <fmt/format.h>

namespace moebench::merge {

bool from_base(Part part) { return part <= Part::LmHead; }
bool from_expert(Part part) { return part >= Part::ExpertGate; }

std::vector<TensorRef> merged_tensors(const io::ModelConfig& c) {
  std::vector<TensorRef> refs = {{Part::Embed}};
  for (int64_t l = 0; l < c.num_layers; ++l) {
    for (Part p : {Part::InputNorm, Part::Q, Part::K, Part::V, Part::O, Part::PostNorm, Part::Router})
      refs.push_back({p, l});
    for (int64_t e = 0; e < c.num_experts; ++e)
      for (Part p : {Part::ExpertGate, Part::ExpertDown, Part::ExpertUp}) refs.push_back({p, l, e});
  }
  refs.push_back({Part::FinalNorm});
  if (!c.tie_word_embeddings) refs.push_back({Part::LmHead});
  return refs;
}

std::string source_name(const TensorRef& r) {
  const std::string layer = fmt::format("model.layers.{}.", r.layer);
  switch (r.part) {
    case Part::Embed: return "model.embed_tokens.weight";
    case Part::InputNorm: return layer + "input_layernorm.weight";
    case Part::Q: return layer + "self_attn.q_proj.weight";
    case Part::K: return layer + "self_attn.k_proj.weight";
    case Part::V: return layer + "self_attn.v_proj.weight";
    case Part::O: return layer + "self_attn.o_proj.weight";
    case Part::PostNorm: return layer + "post_attention_layernorm.weight";
    case Part::FinalNorm: return "model.norm.weight";
    case Part::LmHead: return "lm_head.weight";
    case Part::Router: return "";
    case Part::ExpertGate: return layer + "mlp.gate_proj.weight";
    case Part::ExpertUp: return layer + "mlp.up_proj.weight";
    case Part::ExpertDown: return layer + "mlp.down_proj.weight";
  }
  return "";
}

std::string v4_name(const TensorRef& r) {
  const std::string moe = fmt::format("model.layers.{}.block_sparse_moe.", r.layer);
  switch (r.part) {
    case Part::Router: return moe + "gate.weight";
    case Part::ExpertGate: return fmt::format("{}experts.{}.w1.weight", moe, r.expert);
    case Part::ExpertDown: return fmt::format("{}experts.{}.w2.weight", moe, r.expert);
    case Part::ExpertUp: return fmt::format("{}experts.{}.w3.weight", moe, r.expert);
    default: return source_name(r);
  }
}

std::vector<int64_t> tensor_shape(const io::ModelConfig& c, const TensorRef& r) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  switch (r.part) {
    case Part::Embed: case Part::LmHead: return {V, H};
    case Part::InputNorm: case Part::PostNorm: case Part::FinalNorm: return {H};
    case Part::Q: return {q, H};
    case Part::K: case Part::V: return {kv, H};
    case Part::O: return {H, q};
    case Part::Router: return {c.num_experts, H};
    case Part::ExpertGate: case Part::ExpertUp: return {I, H};
    case Part::ExpertDown: return {H, I};
  }
  return {};
}

}  // namespace moebench::merge

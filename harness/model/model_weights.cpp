#include "harness/model/model_weights.h"

#include <fmt/format.h>

#include <cmath>

#include "harness/util/error.h"

namespace moebench::model {
namespace {

at::ScalarType scalar_type_of(io::DType dtype, const std::string& where) {
  switch (dtype) {
    case io::DType::F64: return at::kDouble;
    case io::DType::F32: return at::kFloat;
    case io::DType::F16: return at::kHalf;
    case io::DType::BF16: return at::kBFloat16;
    default: fail_input(where, "dtype {} cannot hold model weights", io::dtype_name(dtype));
  }
}

std::string shape_string(at::IntArrayRef shape) {
  return fmt::format("[{}]", fmt::join(shape.begin(), shape.end(), ", "));
}

// Weights with NaN or Inf give NaN logits, which would be scored (and stored)
// as if they meant something: refuse them at load. One summing pass finds out
// cheaply; only a non-finite sum pays for locating the first bad element.
void require_finite(const at::Tensor& weights, const std::string& where) {
  const auto accumulate = weights.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  if (std::isfinite(weights.sum(accumulate).item<double>())) return;
  at::Tensor bad = at::logical_not(at::isfinite(weights)).reshape({-1}).nonzero();
  if (bad.numel() == 0) return;  // finite values whose sum overflowed
  const int64_t index = bad[0][0].item<int64_t>();
  fail_input(where, "holds {} non-finite values (NaN or Inf; the first at flat index {}, {}); "
             "a model with such weights cannot be evaluated",
             bad.size(0), index, weights.reshape({-1})[index].item<double>());
}

}  // namespace

at::Tensor load_tensor(const std::shared_ptr<const io::TensorStore>& store, const std::string& name,
                       at::IntArrayRef expected_shape, const TensorPlacement& placement) {
  io::TensorView view = store->get(name);
  const std::string where = fmt::format("{}: tensor '{}'", store->dir().string(), name);
  if (!std::equal(view.shape.begin(), view.shape.end(), expected_shape.begin(),
                  expected_shape.end())) {
    fail_input(where, "shape {} does not match the config, expected {}", shape_string(view.shape),
               shape_string(expected_shape));
  }
  at::ScalarType source_type = scalar_type_of(view.dtype, where);
  void* data = const_cast<std::byte*>(view.data);  // never written: weights are immutable
  const bool aligned = reinterpret_cast<uintptr_t>(data) % io::dtype_size(view.dtype) == 0;
  auto keep_alive = store;
  at::Tensor mapped = at::from_blob(
      data, view.shape, [keep_alive](void*) {}, at::TensorOptions().dtype(source_type));
  // Copies (dtype conversion, device transfer or an unaligned source) no longer
  // need the mapping.
  at::Tensor source = aligned ? mapped : mapped.clone();
  require_finite(source, where);
  const bool zero_copy =
      aligned && placement.device.is_cpu() && placement.dtype == source_type;
  if (zero_copy) return mapped;
  return source.to(placement.device, placement.dtype).contiguous();
}

namespace {

struct Binder {
  const io::ModelConfig& c;
  const std::shared_ptr<const io::TensorStore>& store;
  const TensorPlacement& placement;

  at::Tensor operator()(const std::string& name, std::vector<int64_t> shape) const {
    return load_tensor(store, name, shape, placement);
  }

  std::vector<ExpertWeights> experts(const std::string& p) const {
    const int64_t E = c.num_experts, H = c.hidden_size, I = c.intermediate_size;
    std::vector<ExpertWeights> out(E);
    if (store->contains(p + "block_sparse_moe.gate.weight")) {  // transformers v4 layout
      for (int64_t e = 0; e < E; ++e) {
        std::string q = fmt::format("{}block_sparse_moe.experts.{}.", p, e);
        out[e] = {(*this)(q + "w1.weight", {I, H}), (*this)(q + "w3.weight", {I, H}),
                  (*this)(q + "w2.weight", {H, I})};
      }
      return out;
    }
    // transformers v5: experts fused; gate rows first, then up rows.
    at::Tensor gate_up = (*this)(p + "mlp.experts.gate_up_proj", {E, 2 * I, H});
    at::Tensor down = (*this)(p + "mlp.experts.down_proj", {E, H, I});
    for (int64_t e = 0; e < E; ++e) {
      out[e] = {gate_up[e].narrow(0, 0, I), gate_up[e].narrow(0, I, I), down[e]};
    }
    return out;
  }

  at::Tensor router(const std::string& p) const {
    const std::string v4 = p + "block_sparse_moe.gate.weight";
    const std::string name = store->contains(v4) ? v4 : p + "mlp.gate.weight";
    return (*this)(name, {c.num_experts, c.hidden_size});
  }
};

}  // namespace

std::shared_ptr<const ModelWeights> load_model_weights(
    const io::ModelConfig& c, const std::shared_ptr<const io::TensorStore>& store,
    const TensorPlacement& placement) {
  auto w = std::make_shared<ModelWeights>();
  w->config = c;
  Binder bind{c, store, placement};
  const int64_t H = c.hidden_size, V = c.vocab_size, I = c.intermediate_size;
  const int64_t qdim = c.num_heads * c.head_dim, kvdim = c.num_kv_heads * c.head_dim;
  w->embed = bind("model.embed_tokens.weight", {V, H});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    LayerWeights layer;
    layer.input_norm = bind(p + "input_layernorm.weight", {H});
    layer.q = bind(p + "self_attn.q_proj.weight", {qdim, H});
    layer.k = bind(p + "self_attn.k_proj.weight", {kvdim, H});
    layer.v = bind(p + "self_attn.v_proj.weight", {kvdim, H});
    layer.o = bind(p + "self_attn.o_proj.weight", {H, qdim});
    layer.post_norm = bind(p + "post_attention_layernorm.weight", {H});
    if (c.is_moe()) {
      layer.router = bind.router(p);
      layer.experts = bind.experts(p);
    } else {
      layer.experts = {{bind(p + "mlp.gate_proj.weight", {I, H}),
                        bind(p + "mlp.up_proj.weight", {I, H}),
                        bind(p + "mlp.down_proj.weight", {H, I})}};
    }
    w->layers.push_back(std::move(layer));
  }
  w->final_norm = bind("model.norm.weight", {H});
  // transformers ignores a stored lm_head.weight when the embeddings are tied.
  w->lm_head = c.tie_word_embeddings ? w->embed : bind("lm_head.weight", {V, H});
  return w;
}

}  // namespace moebench::model

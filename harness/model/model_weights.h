// The immutable weights of a Llama / Mistral / Mixtral model, bound by their
// Hugging Face names. Loaded once and shared (shared_ptr<const ModelWeights>);
// all per-run state (KV cache, routing buffers) lives elsewhere.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "harness/io/model_config.h"
#include "harness/io/tensor_store.h"

namespace moebench::model {

struct ExpertWeights {
  at::Tensor gate;  // [I, H]  (Mixtral w1 / Llama mlp.gate_proj)
  at::Tensor up;    // [I, H]  (w3 / mlp.up_proj)
  at::Tensor down;  // [H, I]  (w2 / mlp.down_proj)
};

struct LayerWeights {
  at::Tensor input_norm;      // [H]
  at::Tensor q, k, v, o;      // [NH*D, H], [KV*D, H], [KV*D, H], [H, NH*D]
  at::Tensor post_norm;       // [H]
  at::Tensor router;          // [E, H]; undefined for dense layers
  std::vector<ExpertWeights> experts;  // E experts (1 for a dense MLP)
};

struct ModelWeights {
  io::ModelConfig config;
  at::Tensor embed;           // [V, H]
  std::vector<LayerWeights> layers;
  at::Tensor final_norm;      // [H]
  at::Tensor lm_head;         // [V, H] (the embedding when tied)
};

// Where and how to hold the weights.
struct TensorPlacement {
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
};

// A tensor of `store` on the given placement. On CPU with a matching dtype
// this is a zero-copy view of the memory map (it keeps the store alive).
// Throws InputError naming the tensor when it is missing or has another shape.
at::Tensor load_tensor(const std::shared_ptr<const io::TensorStore>& store, const std::string& name,
                       at::IntArrayRef expected_shape, const TensorPlacement& placement);

// Binds every tensor of a Llama / Mistral / Mixtral directory (Mixtral in the
// transformers-v4 or -v5 layout, detected per layer).
std::shared_ptr<const ModelWeights> load_model_weights(
    const io::ModelConfig& config, const std::shared_ptr<const io::TensorStore>& store,
    const TensorPlacement& placement);

}  // namespace moebench::model

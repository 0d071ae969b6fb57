// The decoder-only transformer shared by Llama, Mistral and Mixtral: one block
// type that uses a sparse MoE MLP when the layer has a router, else a dense
// SwiGLU MLP. Stateless: the KV cache is passed in by the caller.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "harness/model/model_weights.h"
#include "harness/model/router_tap.h"

namespace moebench::model {

// Keys and values of every layer, indexed by absolute position ("slot").
struct KVCache {
  std::vector<at::Tensor> k, v;  // per layer [B, KV, capacity, D]
  int64_t capacity = 0;

  static KVCache allocate(const ModelWeights& w, int64_t batch, int64_t capacity);
  // Keeps only the given batch rows (e.g. when generations finish).
  void keep_rows(const at::Tensor& rows);
};

// One forward pass over a right-padded [B, T] block.
struct ForwardBatch {
  at::Tensor ids;    // [B, T] int64
  at::Tensor start;  // [B] int64: absolute position of ids[:, 0]
  at::Tensor valid;  // [B, T] bool: real tokens (false for padding)
  std::vector<int64_t> row_request;  // [B] caller's ids, reported to the router tap
  bool decode = false;  // generated tokens fed back (RoutingEvent::decode)
};

// Optional observers of a forward pass.
struct ForwardTaps {
  RoutingSink* routing = nullptr;
  // When set, receives the residual stream entering each layer ([B, T, H],
  // layer 0 = embeddings), as transformers' output_hidden_states[0..L-1].
  std::vector<at::Tensor>* layer_inputs = nullptr;
  // When set, receives what each layer's router (or dense MLP) reads: the
  // state after attention and post_attention_layernorm ([B, T, H]).
  std::vector<at::Tensor>* router_inputs = nullptr;
};

class Transformer {
 public:
  // `forced_expert` >= 0: every MoE layer sends each token to that expert
  // alone (oracle routing; see LanguageModel::with_forced_expert).
  // REQUIRES: -1, or an MoE model and 0 <= forced_expert < num_experts.
  explicit Transformer(std::shared_ptr<const ModelWeights> weights, int forced_expert = -1);

  // Final-normed hidden states [B, T, H]. With a cache, keys/values of this
  // block are written at slots start..start+T-1 and attention reads all slots
  // up to each query's position; without one, only this block is attended.
  at::Tensor forward(const ForwardBatch& batch, KVCache* cache, const ForwardTaps& taps = {}) const;
  // Next-token logits in fp32 for hidden states [..., H].
  at::Tensor logits(const at::Tensor& hidden) const;

  const ModelWeights& weights() const { return *w_; }
  const std::shared_ptr<const ModelWeights>& weights_ptr() const { return w_; }
  const io::ModelConfig& config() const { return w_->config; }
  int forced_expert() const { return forced_expert_; }  // -1: the router decides

 private:
  // How the queries of a pass see the keys: through a [B, 1, T, S] mask; all
  // of them (one decoding step at one position); or causally from position 0
  // (scoring and prompts without left padding: the blocked fast path).
  enum class Attending { Masked, All, Causal };
  // `shared_start`: the start position of every row, or -1 when they differ.
  Attending attending_of(const ForwardBatch& batch, bool cached, int64_t key_len, int64_t shared_start) const;
  // Cache slots of a block: start..start+T-1 for every row, or per row
  // (rows [B, 1], slots [B, T] index tensors).
  struct CacheSlots {
    int64_t shared_start = -1;
    at::Tensor rows, slots;
  };
  at::Tensor attention(const LayerWeights& layer, int64_t index, const at::Tensor& x,
                       const at::Tensor& cos, const at::Tensor& sin, Attending attending,
                       const at::Tensor& keep, const CacheSlots& slots, KVCache* cache,
                       int64_t key_len) const;
  // One MoE layer's routing decisions, kept where they were computed until the
  // pass ends: the tap then costs one host copy per pass, not one per layer
  // (each a device synchronisation on a GPU).
  struct RoutedLayer {
    int64_t layer;
    at::Tensor ids, weights, probabilities;  // [B*T, k], [B*T, k], [B*T, E] or undefined
  };
  // Appends this layer's decisions to `routed` when it is not null.
  at::Tensor moe(const LayerWeights& layer, int64_t index, const at::Tensor& x,
                 std::vector<RoutedLayer>* routed, bool with_probabilities) const;
  // The forced expert's MLP at weight 1; the tap hears it first, then the
  // router's own next choices at weight 0 (stored routing keeps top_k columns).
  at::Tensor forced_moe(const LayerWeights& layer, int64_t index, const at::Tensor& tokens,
                        std::vector<RoutedLayer>* routed, bool with_probabilities) const;
  void report_routing(const std::vector<RoutedLayer>& routed, const ForwardBatch& batch,
                      RoutingSink& sink) const;

  std::shared_ptr<const ModelWeights> w_;
  at::Tensor inv_freq_;  // [D/2] fp32, RoPE frequencies after rope_scaling
  int forced_expert_ = -1;
};

// x * rsqrt(mean(x^2) + eps) computed in fp32, times weight (transformers' RMSNorm).
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);
// RoPE inverse frequencies for a config, including linear and llama3 scaling.
at::Tensor rope_inverse_frequencies(const io::ModelConfig& config);

}  // namespace moebench::model

#include "harness/model/transformer.h"

#include <ATen/core/grad_mode.h>

#include <cmath>

#include "harness/model/attention.h"
#include "harness/model/expert_mlp.h"
#include "harness/model/torch_compat.h"
#include "harness/util/error.h"

namespace moebench::model {

using at::indexing::Slice;

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  // hidden.float() * rsqrt(hidden.pow(2).mean(-1) + eps), cast back, times weight
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor normed = xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * normed.to(x.scalar_type());
}

at::Tensor rope_inverse_frequencies(const io::ModelConfig& c) {
  // inv_freq = 1 / theta^(2i / head_dim), in fp32 as transformers computes it
  const int64_t D = c.head_dim;
  at::Tensor exponents = at::arange(0, D, 2, at::kLong).to(at::kFloat) / static_cast<double>(D);
  at::Tensor inv_freq = 1.0 / at::pow(c.rope_theta, exponents);
  const auto& s = c.rope_scaling;
  if (s.type == io::RopeScaling::Type::Linear) return inv_freq / s.factor;
  if (s.type == io::RopeScaling::Type::Llama3) {
    // Long wavelengths are slowed by `factor`, short ones kept, the band between
    // interpolated smoothly (transformers' _compute_llama3_parameters).
    const double old_len = static_cast<double>(s.original_max_position_embeddings);
    const double low_wavelen = old_len / s.low_freq_factor;
    const double high_wavelen = old_len / s.high_freq_factor;
    at::Tensor wavelen = 2 * M_PI / inv_freq;
    at::Tensor scaled = at::where(wavelen > low_wavelen, inv_freq / s.factor, inv_freq);
    at::Tensor smooth = (old_len / wavelen - s.low_freq_factor) /
                        (s.high_freq_factor - s.low_freq_factor);
    at::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
    at::Tensor medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    return at::where(medium, smoothed, scaled);
  }
  return inv_freq;
}

namespace {

at::Tensor rotate_half(const at::Tensor& x) {
  // cat(-x2, x1) over the last dimension (transformers' rotate_half)
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// Host copies of what every routing event of one forward pass shares.
struct RoutingContext {
  at::Tensor positions, valid;  // [B*T] int64 / uint8 on CPU
};

}  // namespace

KVCache KVCache::allocate(const ModelWeights& w, int64_t batch, int64_t capacity) {
  KVCache cache;
  cache.capacity = capacity;
  const auto& c = w.config;
  auto options = w.embed.options();
  for (int64_t l = 0; l < c.num_layers; ++l) {
    cache.k.push_back(at::zeros({batch, c.num_kv_heads, capacity, c.head_dim}, options));
    cache.v.push_back(at::zeros({batch, c.num_kv_heads, capacity, c.head_dim}, options));
  }
  return cache;
}

void KVCache::keep_rows(const at::Tensor& rows) {
  for (auto& t : k) t = t.index_select(0, rows.to(t.device()));
  for (auto& t : v) t = t.index_select(0, rows.to(t.device()));
}

Transformer::Transformer(std::shared_ptr<const ModelWeights> weights, int forced_expert)
    : w_(std::move(weights)),
      inv_freq_(rope_inverse_frequencies(w_->config).to(w_->embed.device())),
      forced_expert_(forced_expert) {}

at::Tensor Transformer::forward(const ForwardBatch& batch, KVCache* cache,
                                const ForwardTaps& taps) const {
  const auto& c = w_->config;
  const int64_t B = batch.ids.size(0), T = batch.ids.size(1);
  const auto device = w_->embed.device();
  const at::Tensor ids = batch.ids.to(device);
  const at::Tensor positions = batch.start.to(device).unsqueeze(1) + at::arange(T, ids.options());

  // Keys are identified by absolute position: query p sees keys at positions <= p
  // (and > p - sliding_window). With a cache, stale slots beyond p stay invisible.
  const at::Tensor start = batch.start.to(at::kCPU);
  const int64_t first_start = start.min().item<int64_t>(), last_start = start.max().item<int64_t>();
  int64_t key_len = T;
  if (cache) {
    key_len = last_start + T;
    if (key_len > cache->capacity) {
      throw std::runtime_error("KV cache too small: need " + std::to_string(key_len) +
                               " slots, have " + std::to_string(cache->capacity));
    }
  }
  const int64_t shared_start = first_start == last_start ? first_start : -1;
  const Attending attending = attending_of(batch, cache != nullptr, key_len, shared_start);
  // Where this block's keys and values go in the cache, worked out once for every layer.
  CacheSlots slots;
  if (cache) {
    slots.shared_start = shared_start;
    if (shared_start < 0) {
      slots.rows = at::arange(B, batch.start.options()).unsqueeze(1).to(device);
      slots.slots = (batch.start.unsqueeze(1) + at::arange(T, batch.start.options())).to(device);
    }
  }
  at::Tensor keep;  // [B, 1, T, S] for the masked form; undefined otherwise
  if (attending == Attending::Masked) {
    at::Tensor key_pos, key_ok;
    if (cache) {
      key_pos = at::arange(key_len, ids.options()).unsqueeze(0).expand({B, key_len});
      key_ok = at::ones({B, key_len}, ids.options().dtype(at::kBool));
    } else {
      key_pos = positions;
      key_ok = batch.valid.to(device);
    }
    keep = key_pos.unsqueeze(1) <= positions.unsqueeze(2);  // [B, T, S]
    if (c.sliding_window) keep &= key_pos.unsqueeze(1) > positions.unsqueeze(2) - *c.sliding_window;
    keep &= key_ok.unsqueeze(1);
    // Every query also sees its own slot, so a padding query (e.g. left padding)
    // never has all keys masked: that would give NaN rows, and NaN values poison
    // real rows through 0 * NaN in the attention product.
    keep |= key_pos.unsqueeze(1) == positions.unsqueeze(2);
    keep = keep.unsqueeze(1);  // [B, 1, T, S]
  }

  // RoPE tables: cos/sin of cat(freqs, freqs), computed in fp32, cast to the model dtype.
  at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq_;
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  const auto dtype = w_->embed.scalar_type();
  at::Tensor cos = emb.cos().to(dtype).unsqueeze(1), sin = emb.sin().to(dtype).unsqueeze(1);

  std::vector<RoutedLayer> routed;
  const bool with_probabilities = taps.routing && taps.routing->wants_probabilities();
  at::Tensor h = at::embedding(w_->embed, ids);  // [B, T, H]
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const LayerWeights& layer = w_->layers[l];
    if (taps.layer_inputs) taps.layer_inputs->push_back(h);
    h = h + attention(layer, l, rms_norm(h, layer.input_norm, c.rms_norm_eps), cos, sin, attending,
                      keep, slots, cache, key_len);
    at::Tensor x = rms_norm(h, layer.post_norm, c.rms_norm_eps);
    if (taps.router_inputs) taps.router_inputs->push_back(x);
    h = h + (layer.router.defined()
                 ? moe(layer, l, x, taps.routing ? &routed : nullptr, with_probabilities)
                 : swiglu(x, layer.experts[0]));
  }
  if (!routed.empty()) report_routing(routed, batch, *taps.routing);
  return rms_norm(h, w_->final_norm, c.rms_norm_eps);
}

at::Tensor Transformer::logits(const at::Tensor& hidden) const {
  return project(hidden, w_->lm_head).to(at::kFloat);
}

Transformer::Attending Transformer::attending_of(const ForwardBatch& batch, bool cached, int64_t key_len,
                                                 int64_t shared_start) const {
  // Training keeps the masked form its gradients were written against.
  if (at::GradMode::is_enabled()) return Attending::Masked;
  const auto& window = w_->config.sliding_window;
  if (window && key_len > *window) return Attending::Masked;
  const int64_t T = batch.ids.size(1);
  // One new token per row, all at one position: every cached key up to it is visible.
  if (cached && T == 1 && shared_start >= 0) return Attending::All;
  // Rows from position 0, right-padded: causal order alone keeps every real
  // query from its row's padding (which comes after it), and what padding
  // queries see is never read.
  if (shared_start == 0 && w_->embed.is_cpu()) {
    const at::Tensor valid = batch.valid.to(at::kCPU);
    const at::Tensor prefix = at::arange(T).unsqueeze(0) < valid.sum(1, /*keepdim=*/true);
    if (at::equal(valid, prefix)) return Attending::Causal;
  }
  return Attending::Masked;
}

at::Tensor Transformer::attention(const LayerWeights& layer, int64_t index, const at::Tensor& x,
                                  const at::Tensor& cos, const at::Tensor& sin, Attending attending,
                                  const at::Tensor& keep, const CacheSlots& slots,
                                  KVCache* cache, int64_t key_len) const {
  const auto& c = w_->config;
  const int64_t B = x.size(0), T = x.size(1), D = c.head_dim;
  at::Tensor q = project(x, layer.q).view({B, T, c.num_heads, D}).transpose(1, 2);
  at::Tensor k = project(x, layer.k).view({B, T, c.num_kv_heads, D}).transpose(1, 2);
  at::Tensor v = project(x, layer.v).view({B, T, c.num_kv_heads, D}).transpose(1, 2);
  q = q * cos + rotate_half(q) * sin;
  k = k * cos + rotate_half(k) * sin;
  if (cache) {
    if (slots.shared_start >= 0) {
      // Every row writes the same slots: one in-place copy into the cache.
      cache->k[index].narrow(2, slots.shared_start, T).copy_(k);
      cache->v[index].narrow(2, slots.shared_start, T).copy_(v);
    } else {
      // index_put_ yields [B, T, KV, D] for these indices.
      cache->k[index].index_put_({slots.rows, Slice(), slots.slots}, k.transpose(1, 2));
      cache->v[index].index_put_({slots.rows, Slice(), slots.slots}, v.transpose(1, 2));
    }
    k = cache->k[index].narrow(2, 0, key_len);
    v = cache->v[index].narrow(2, 0, key_len);
  }
  const double scale = 1.0 / std::sqrt(double(D));
  at::Tensor out = attending == Attending::Causal ? causal_attention(q, k.narrow(2, 0, T), v.narrow(2, 0, T), scale)
                                                  : compat::grouped_attention(q, k, v, keep, scale);
  return project(out.transpose(1, 2).reshape({B, T, c.num_heads * D}), layer.o);
}

at::Tensor Transformer::moe(const LayerWeights& layer, int64_t index, const at::Tensor& x,
                            std::vector<RoutedLayer>* routed, bool with_probabilities) const {
  const auto& c = w_->config;
  const int64_t B = x.size(0), T = x.size(1), H = x.size(2);
  at::Tensor tokens = x.reshape({B * T, H});
  if (forced_expert_ >= 0) return forced_moe(layer, index, tokens, routed, with_probabilities).view({B, T, H});
  // softmax over all experts in fp32, top-k, renormalise the k weights
  at::Tensor probs = at::softmax(at::linear(tokens, layer.router), -1, at::kFloat);
  auto [top_w, top_i] = probs.topk(c.experts_per_token, -1);
  top_w = top_w / top_w.sum(-1, /*keepdim=*/true);
  if (routed) routed->push_back({index, top_i, top_w, with_probabilities ? probs : at::Tensor()});

  at::Tensor weights = top_w.to(x.scalar_type());
  // Training keeps the per-expert form its gradients were written against.
  const bool grouped = !at::GradMode::is_enabled();
  return (grouped ? moe_grouped : moe_per_expert)(tokens, top_i, weights, layer.experts).view({B, T, H});
}

at::Tensor Transformer::forced_moe(const LayerWeights& layer, int64_t index, const at::Tensor& tokens,
                                   std::vector<RoutedLayer>* routed, bool with_probabilities) const {
  // Weight 1.0 on one expert is that expert's dense MLP, so no multiply.
  at::Tensor out = swiglu(tokens, layer.experts[forced_expert_]);
  if (!routed) return out;  // the router only feeds the tap: skip it when no one listens
  const int64_t N = tokens.size(0), k = w_->config.experts_per_token;
  at::Tensor probs = at::softmax(at::linear(tokens, layer.router), -1, at::kFloat);
  // The router's own ranking without the forced expert fills the other k-1 slots.
  at::Tensor others = probs.index_fill(1, at::full({1}, forced_expert_, probs.options().dtype(at::kLong)), -1.0);
  at::Tensor rest = std::get<1>(others.topk(k - 1, -1));
  at::Tensor ids = at::cat({at::full({N, 1}, forced_expert_, rest.options()), rest}, 1);
  at::Tensor weights = at::cat({at::ones({N, 1}, probs.options()), at::zeros({N, k - 1}, probs.options())}, 1);
  routed->push_back({index, ids, weights, with_probabilities ? probs : at::Tensor()});
  return out;
}

void Transformer::report_routing(const std::vector<RoutedLayer>& routed, const ForwardBatch& batch,
                                 RoutingSink& sink) const {
  const auto& c = w_->config;
  const int64_t B = batch.ids.size(0), T = batch.ids.size(1), N = B * T;
  std::vector<at::Tensor> ids, weights, probabilities;
  for (const RoutedLayer& r : routed) {
    ids.push_back(r.ids);
    weights.push_back(r.weights);
    if (r.probabilities.defined()) probabilities.push_back(r.probabilities);
  }
  const at::Tensor ids_host = at::stack(ids).to(at::kCPU, at::kInt).contiguous();  // [L, N, k]
  const at::Tensor weights_host = at::stack(weights).to(at::kCPU).contiguous();
  const at::Tensor probabilities_host =
      probabilities.empty() ? at::Tensor() : at::stack(probabilities).to(at::kCPU).contiguous();
  const at::Tensor positions = (batch.start.unsqueeze(1) + at::arange(T, batch.start.options()))
                                   .to(at::kCPU).reshape({-1}).contiguous();
  const at::Tensor valid = batch.valid.to(at::kCPU, at::kByte).reshape({-1}).contiguous();
  const at::Tensor token_ids = batch.ids.to(at::kCPU, at::kInt).reshape({-1}).contiguous();
  const int64_t k = c.experts_per_token, E = c.num_experts;
  for (size_t i = 0; i < routed.size(); ++i) {
    RoutingEvent event;
    event.layer = static_cast<int>(routed[i].layer);
    event.batch = B;
    event.seq = T;
    event.top_k = k;
    event.num_experts = E;
    event.expert_ids = ids_host.data_ptr<int32_t>() + i * N * k;
    event.weights = weights_host.data_ptr<float>() + i * N * k;
    event.probabilities = probabilities_host.defined() ? probabilities_host.data_ptr<float>() + i * N * E : nullptr;
    event.positions = positions.data_ptr<int64_t>();
    event.valid = valid.data_ptr<uint8_t>();
    event.row_request = batch.row_request.empty() ? nullptr : batch.row_request.data();
    event.token_ids = token_ids.data_ptr<int32_t>();
    event.decode = batch.decode;
    sink.on_routing(event);
  }
}

}  // namespace moebench::model

// APIs that differ between the libtorch versions we build against
// (Debian's 1.13 on CPU, the PyTorch 2.x of GPU machines).
#pragma once

#include <ATen/ATen.h>
#include <torch/version.h>

#include <limits>

namespace moebench::model::compat {

// Grouped-query attention: softmax(q k^T * scale, masked) v.
// q: [B, H, T, D]; k, v: [B, KV, S, D] with H a multiple of KV (query head h
// reads kv head h / (H / KV), as transformers' repeat_kv); keep_mask: bool
// [B, 1, T, S], true where a query may see a key, or undefined when every
// query sees every key. Returns [B, H, T, D].
inline at::Tensor grouped_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& keep_mask, double scale) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t KV = k.size(1), S = k.size(2), rep = H / KV;
#if TORCH_VERSION_MAJOR >= 2
  if (q.is_cuda()) {
    // Fused kernels (flash / memory-efficient) on GPU; their scale is 1/sqrt(D).
    return at::scaled_dot_product_attention(q, k.repeat_interleave(rep, 1),
                                            v.repeat_interleave(rep, 1),
                                            keep_mask.defined() ? c10::optional<at::Tensor>(keep_mask)
                                                                : c10::nullopt);
  }
#endif
  // Eager path as transformers' eager attention (scores in the input dtype,
  // softmax in fp32), without materialising the repeated kv heads: the rep
  // query heads sharing a kv head are stacked along the query axis, so each
  // product is one plain batched matmul over [B*KV] (a broadcast kv operand
  // would be expanded and copied by matmul: the whole cache, every layer).
  at::Tensor qg = q.reshape({B, KV, rep * T, D});
  at::Tensor scores = at::matmul(qg, k.transpose(-1, -2)) * scale;  // [B,KV,rep*T,S]
  if (keep_mask.defined()) {
    scores = scores.view({B, KV, rep, T, S})
                 .masked_fill(keep_mask.view({B, 1, 1, T, S}).logical_not(),
                              -std::numeric_limits<float>::infinity());
  }
  at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs.view({B, KV, rep * T, S}), v).view({B, H, T, D});
}

}  // namespace moebench::model::compat

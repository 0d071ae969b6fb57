// Causal self-attention over a block of queries without a [B, H, T, T] score
// buffer: the fast path of scoring and of prompts (see Transformer::forward).
// The masked form for everything else is compat::grouped_attention.
#pragma once

#include <ATen/ATen.h>

namespace moebench::model {

// softmax(q k^T * scale, causal) v, where query t sees keys 0..t.
// q: [B, H, T, D]; k, v: [B, KV, T, D] of the same positions, H a multiple of
// KV (query head h reads kv head h / (H / KV)). Returns [B, H, T, D].
// Queries are taken `block` at a time, each block against only the keys it
// can see: about half the products and softmax work of a full mask, and
// buffers of block x T instead of T x T. Scores are in the input dtype and
// the softmax in fp32, as the masked form.
at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            double scale, int64_t block = 128);

}  // namespace moebench::model

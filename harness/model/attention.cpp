#include "harness/model/attention.h"

#include <algorithm>
#include <limits>

namespace moebench::model {

at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            double scale, int64_t block) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t KV = k.size(1), rep = H / KV;
  // Query heads that share a kv head are stacked along the query axis (as in
  // compat::grouped_attention), so each product is one batched matmul.
  const at::Tensor queries = q.reshape({B, KV, rep, T, D});
  at::Tensor out = at::empty({B, KV, rep, T, D}, q.options());
  // Within a block, query i sees block keys 0..i: the strict upper triangle is masked.
  const at::Tensor future =
      at::ones({std::min(block, T), std::min(block, T)}, q.options().dtype(at::kBool)).triu(1);
  for (int64_t begin = 0; begin < T; begin += block) {
    const int64_t n = std::min(block, T - begin), seen = begin + n;
    at::Tensor qb = queries.narrow(3, begin, n).reshape({B, KV, rep * n, D});
    at::Tensor scores = at::matmul(qb, k.narrow(2, 0, seen).transpose(-1, -2)).mul_(scale);
    scores.view({B, KV, rep, n, seen})
        .narrow(-1, begin, n)
        .masked_fill_(future.narrow(0, 0, n).narrow(1, 0, n), -std::numeric_limits<float>::infinity());
    at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
    out.narrow(3, begin, n).copy_(at::matmul(probs, v.narrow(2, 0, seen)).view({B, KV, rep, n, D}));
  }
  return out.view({B, H, T, D});
}

}  // namespace moebench::model

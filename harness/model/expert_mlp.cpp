#include "harness/model/expert_mlp.h"

#include <ATen/core/grad_mode.h>

namespace moebench::model {

at::Tensor project(const at::Tensor& x, const at::Tensor& weight) {
  // fp32 only: that is where BLAS's gemv is (libtorch's CPU mv has no fp16 kernel).
  if (!x.is_cpu() || x.scalar_type() != at::kFloat || x.numel() != x.size(-1)) return at::linear(x, weight);
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  return at::mv(weight, x.reshape({-1})).view(sizes);
}

at::Tensor swiglu(const at::Tensor& x, const ExpertWeights& e) {
  // Training keeps the out-of-place form its gradients need.
  if (at::GradMode::is_enabled()) return at::linear(at::silu(at::linear(x, e.gate)) * at::linear(x, e.up), e.down);
  at::Tensor gate = project(x, e.gate);
  return project(at::silu_(gate).mul_(project(x, e.up)), e.down);
}

at::Tensor moe_grouped(const at::Tensor& tokens, const at::Tensor& ids, const at::Tensor& weights,
                       const std::vector<ExpertWeights>& experts) {
  const int64_t k = ids.size(1), E = static_cast<int64_t>(experts.size());
  const at::Tensor flat = ids.reshape({-1});
  // A stable sort keeps each expert's pairs in token order.
  const at::Tensor order = std::get<1>(at::sort(flat, c10::optional<bool>(true), /*dim=*/0, /*descending=*/false));
  const at::Tensor counts = at::bincount(flat, {}, E).to(at::kCPU);
  const at::Tensor token = at::div(order, k, "floor");
  const at::Tensor gathered = tokens.index_select(0, token);
  std::vector<at::Tensor> outputs;
  const int64_t* count = counts.data_ptr<int64_t>();
  for (int64_t e = 0, offset = 0; e < E; offset += count[e], ++e) {
    if (count[e] > 0) outputs.push_back(swiglu(gathered.narrow(0, offset, count[e]), experts[e]));
  }
  at::Tensor mixed = outputs.size() == 1 ? outputs[0] : at::cat(outputs, 0);
  mixed.mul_(weights.reshape({-1}).index_select(0, order).unsqueeze(1));
  // index_add_ adds the rows in order: per token, its experts in ascending order.
  return at::zeros_like(tokens).index_add_(0, token, mixed);
}

at::Tensor moe_per_expert(const at::Tensor& tokens, const at::Tensor& ids, const at::Tensor& weights,
                          const std::vector<ExpertWeights>& experts) {
  at::Tensor out = at::zeros_like(tokens);
  for (size_t e = 0; e < experts.size(); ++e) {
    at::Tensor hit = (ids == static_cast<int64_t>(e)).nonzero();  // [M, 2]: (token, slot)
    if (hit.size(0) == 0) continue;
    at::Tensor tok = hit.select(1, 0), slot = hit.select(1, 1);
    out.index_add_(0, tok, swiglu(tokens.index_select(0, tok), experts[e]) *
                               weights.index({tok, slot}).unsqueeze(1));
  }
  return out;
}

}  // namespace moebench::model

#include "harness/merge/router_state_gates.h"


namespace moebench::merge {
namespace {

// Every real (non-pad) token's router input at `layer`: [N, H] float32.
at::Tensor router_states(const model::Transformer& transformer, const PromptBatch& batch, int64_t layer) {
  const model::ForwardBatch fb = prompt_forward_batch(batch, transformer.weights().embed.device());
  std::vector<at::Tensor> inputs;
  model::ForwardTaps taps;
  taps.router_inputs = &inputs;
  transformer.forward(fb, nullptr, taps);
  const at::Tensor x = inputs[layer].to(at::kFloat);  // [B, T, H]
  return x.index({fb.valid});
}

at::Tensor unit(const at::Tensor& v) { return v / v.norm(2, -1, true).clamp_min(1e-8); }

// The factor s for which softmax(s * x W^T) gives the first choice a mean
// probability of kFittedConfidence on x (bisection in log space; the mean
// grows with s from 1/E at s = 0).
double confidence_scale(const at::Tensor& logits) {
  auto confidence = [&](double s) { return at::softmax(logits * s, -1).amax(-1).mean().item<double>(); };
  double lo = 1e-4, hi = 1e4;
  for (int i = 0; i < 60; ++i) {
    const double mid = std::sqrt(lo * hi);
    (confidence(mid) < kFittedConfidence ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

}  // namespace

at::Tensor fit_router_rows(const at::Tensor& x, const at::Tensor& y, int64_t experts) {
  // Full-batch gradient descent with Adam on the mean cross-entropy plus
  // lambda/2 |W|^2: the problem is convex, small (N tokens x H) and needs no
  // autograd: the gradient is (softmax(x W^T) - onehot(y))^T x / N + lambda W.
  constexpr int kSteps = 300;
  constexpr double kLr = 0.05, kLambda = 1e-3, kBeta1 = 0.9, kBeta2 = 0.999;
  const int64_t N = x.size(0), H = x.size(1);
  const at::Tensor onehot = at::one_hot(y, experts).to(at::kFloat);
  // Standardised features train evenly; the weights are mapped back after.
  const at::Tensor scale = x.pow(2).mean(0).sqrt().clamp_min(1e-6);  // [H]
  const at::Tensor xs = x / scale;
  at::Tensor w = at::zeros({experts, H}, x.options()), m = at::zeros_like(w), v = at::zeros_like(w);
  for (int step = 1; step <= kSteps; ++step) {
    const at::Tensor p = at::softmax(at::matmul(xs, w.t()), -1);
    const at::Tensor grad = at::matmul((p - onehot).t(), xs) / static_cast<double>(N) + kLambda * w;
    m.mul_(kBeta1).add_(grad, 1 - kBeta1);
    v.mul_(kBeta2).addcmul_(grad, grad, 1 - kBeta2);
    const double fix1 = 1 - std::pow(kBeta1, step), fix2 = 1 - std::pow(kBeta2, step);
    w.sub_(m / fix1 / ((v / fix2).sqrt() + 1e-8) * kLr);
  }
  const at::Tensor rows = w / scale;  // logits on raw states: x W^T
  return rows * confidence_scale(at::matmul(x, rows.t()));
}

at::Tensor router_state_gate_tensor(const std::shared_ptr<const model::ModelWeights>& merged,
                                    const std::vector<PromptBatch>& positives,
                                    const std::vector<PromptBatch>& negatives, bool fitted) {
  const io::ModelConfig& c = merged->config;
  const int64_t L = c.num_layers, E = static_cast<int64_t>(positives.size()), H = c.hidden_size;
  at::Tensor gates = at::zeros({L, E, H}, at::kFloat);
  std::vector<int64_t> prompted;  // the experts with positive prompts, in order
  for (int64_t e = 0; e < E; ++e)
    if (!positives[e].ids.empty()) prompted.push_back(e);
  for (int64_t l = 0; l < L; ++l) {
    // The merged model with the rows found so far (later layers' rows are 0:
    // they do not change the state layer l's router reads); tensors shared.
    auto so_far = std::make_shared<model::ModelWeights>(*merged);
    for (int64_t k = 0; k < L; ++k)
      so_far->layers[k].router = gates[k].to(merged->layers[k].router.device(), merged->layers[k].router.scalar_type());
    const model::Transformer transformer(so_far);
    std::vector<at::Tensor> states, labels;
    at::Tensor rows = at::zeros({E, H}, at::kFloat);
    for (size_t i = 0; i < prompted.size(); ++i) {
      const int64_t e = prompted[i];
      at::Tensor x = router_states(transformer, positives[e], l);
      if (fitted) {
        states.push_back(x);
        labels.push_back(at::full({x.size(0)}, static_cast<int64_t>(i), at::kLong).to(x.device()));
        continue;
      }
      at::Tensor row = x.mean(0);
      if (!negatives[e].ids.empty()) row = row - router_states(transformer, negatives[e], l).mean(0);
      rows[e] = unit(row).to(at::kCPU);
    }
    if (fitted && !prompted.empty()) {
      const at::Tensor fit = fit_router_rows(at::cat(states), at::cat(labels), static_cast<int64_t>(prompted.size()));
      for (size_t i = 0; i < prompted.size(); ++i) rows[prompted[i]] = fit[static_cast<int64_t>(i)].to(at::kCPU);
    }
    gates[l] = rows;
  }
  return gates.to(c10::Device(merged->embed.device()));
}

}  // namespace moebench::merge

#include "harness/merge/gate_stats.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "harness/model/language_model_impl.h"

namespace moebench::merge {

LayerGateDiagnostics router_diagnostics(int64_t layer, const at::Tensor& router, GateReading reading) {
  if (router.dim() != 2)
    throw std::invalid_argument("router_diagnostics: layer " + std::to_string(layer) + ": router has " +
                                std::to_string(router.dim()) + " dimensions, expected [experts, hidden]");
  // float64 so that the numbers reported do not depend on fp32/bf16 rounding
  at::Tensor g = router.detach().to(at::kCPU, at::kDouble).contiguous();
  const int64_t E = g.size(0), H = g.size(1);
  LayerGateDiagnostics d;
  d.layer = layer;
  d.centered = reading == GateReading::Centered;
  if (d.centered) g = (g - g.mean(0, true)).contiguous();
  const at::Tensor s = at::linalg_svdvals(g);  // descending; min(E, H) values
  // Centered rows sum to zero, so at most E-1 singular values are not 0 and
  // the last of those is the smallest that routes. One expert has nothing to
  // separate from.
  const int64_t rank = d.centered ? E - 1 : E;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (rank == 0) {
    d.condition_number = 1;
  } else {
    const double smax = s[0].item<double>(), smin = rank > H ? 0.0 : s[rank - 1].item<double>();
    d.condition_number = smin <= smax * 1e-15 ? kInf : smax / smin;
  }
  const at::Tensor unit = g / g.norm(2, -1, true).clamp_min(1e-12);
  const at::Tensor cos = at::matmul(unit, unit.t()).contiguous();
  d.cosine.assign(cos.data_ptr<double>(), cos.data_ptr<double>() + E * E);
  for (int64_t a = 0; a < E; ++a)
    for (int64_t b = a + 1; b < E; ++b)
      if (d.closest_a < 0 || d.cosine[a * E + b] > d.closest_cosine)
        d.closest_a = a, d.closest_b = b, d.closest_cosine = d.cosine[a * E + b];
  return d;
}

nlohmann::json gate_stats_json(const std::vector<LayerGateDiagnostics>& layers) {
  nlohmann::json out = {{"layers", nlohmann::json::array()}};
  for (const LayerGateDiagnostics& d : layers) {
    const auto E = static_cast<size_t>(std::llround(std::sqrt(static_cast<double>(d.cosine.size()))));
    nlohmann::json cosine = nlohmann::json::array();
    for (size_t a = 0; a < E; ++a)
      cosine.push_back(std::vector<double>(d.cosine.begin() + a * E, d.cosine.begin() + (a + 1) * E));
    nlohmann::json condition = std::isfinite(d.condition_number) ? nlohmann::json(d.condition_number) : nullptr;
    out["layers"].push_back({{"layer", d.layer}, {"condition_number", condition}, {"cosine", cosine}});
  }
  return out;
}

nlohmann::json model_gate_stats(const model::LanguageModel& model, GateReading reading) {
  std::vector<LayerGateDiagnostics> layers;
  const auto& weights = model.runtime().transformer().weights().layers;
  for (size_t l = 0; l < weights.size(); ++l)
    if (weights[l].router.defined())
      layers.push_back(router_diagnostics(static_cast<int64_t>(l), weights[l].router, reading));
  return layers.empty() ? nlohmann::json::object() : gate_stats_json(layers);
}

}  // namespace moebench::merge

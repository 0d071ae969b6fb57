#include "harness/merge/gate_diagnostics.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/merge/gate_stats.h"

namespace moebench::merge {
namespace {

// mergekit's wording: "layer 3 has", "layers 1 and 4 have", "layers 0, 2, and 5 have".
std::string layer_list(const std::vector<int64_t>& layers, int64_t total) {
  if (layers.size() == 1) return fmt::format("layer {} has", layers[0]);
  if (static_cast<int64_t>(layers.size()) >= total) return "ALL layers have";
  if (layers.size() == 2) return fmt::format("layers {} and {} have", layers[0], layers[1]);
  std::vector<int64_t> head(layers.begin(), layers.end() - 1);
  return fmt::format("layers {}, and {} have", fmt::join(head, ", "), layers.back());
}

}  // namespace

GateReading gate_reading(GateMode mode) {
  return mode == GateMode::Fitted ? GateReading::Centered : GateReading::Raw;
}

GateDiagnostics diagnose_gates(const GateSet& gates, GateReading reading, double max_condition,
                               double max_cosine) {
  GateDiagnostics out;
  const int64_t E = gates.experts, H = gates.hidden;
  std::vector<int64_t> degenerate, collapsed;
  for (int64_t l = 0; l < gates.layers; ++l) {
    LayerGateDiagnostics d =
        router_diagnostics(l, at::from_blob(const_cast<float*>(gates.row(l, 0)), {E, H}, at::kFloat), reading);
    if (d.condition_number > max_condition) degenerate.push_back(l);
    if (d.closest_a >= 0 && d.closest_cosine > max_cosine) collapsed.push_back(l);
    out.layers.push_back(std::move(d));
  }
  if (!degenerate.empty())
    out.warnings.push_back(fmt::format(
        "{} degenerate routing parameters (router condition number{} above {}) - your prompts may be "
        "too similar; one or more experts will be underutilized", layer_list(degenerate, gates.layers),
        reading == GateReading::Centered ? " of the rows less their mean" : "", max_condition));
  for (int64_t l : collapsed) {
    const auto& d = out.layers[l];
    out.warnings.push_back(fmt::format("layer {}: experts {} and {} have gates with cosine similarity "
                                       "{:.4f}; the prompts do not separate them", l, d.closest_a,
                                       d.closest_b, d.closest_cosine));
  }
  return out;
}

std::string GateDiagnostics::table() const {
  std::string text = "layer  condition  closest experts  cosine\n";
  for (const auto& d : layers) {
    std::string pair = d.closest_a < 0 ? "-" : fmt::format("{} & {}", d.closest_a, d.closest_b);
    text += fmt::format("{:>5}  {:>9.3f}  {:>15}  {:>6.4f}\n", d.layer, d.condition_number, pair,
                        d.closest_cosine);
  }
  if (!layers.empty() && layers[0].centered)
    text += "(rows less their mean row, which routes the same: condition number over the E-1 singular values "
            "that route)\n";
  return text;
}

}  // namespace moebench::merge

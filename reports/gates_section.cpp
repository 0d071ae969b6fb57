#include "reports/gates_section.h"

#include <cmath>

#include "harness/util/sha256.h"

namespace moebench::reports {

std::string prompt_set_hash(const ModelRef& merge) {
  auto prompts = nlohmann::json::array();
  for (const auto& e : merge.experts) {
    prompts.push_back({{"negative", e.negative_prompts}, {"positive", e.positive_prompts}});
  }
  return sha256_hex(prompts.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

double max_off_diagonal(const nlohmann::json& cosine) {
  double best = NAN;
  for (size_t i = 0; i < cosine.size(); ++i) {
    for (size_t j = 0; j < cosine[i].size(); ++j) {
      if (i != j && cosine[i][j].is_number()) {
        const double v = cosine[i][j].get<double>();
        if (std::isnan(best) || v > best) best = v;
      }
    }
  }
  return best;
}

nlohmann::ordered_json gates_json(const ReportScope& scope) {
  auto out = nlohmann::ordered_json::array();
  for (const ModelRef* merge : scope.merges()) {
    const nlohmann::json stats = scope.store->stored_model(merge->model_id).gate_stats;
    auto layers = nlohmann::ordered_json::array();
    if (stats.is_object() && stats.contains("layers") && stats["layers"].is_array()) {
      for (const auto& l : stats["layers"]) {
        const nlohmann::json cosine = l.value("cosine", nlohmann::json::array());
        const auto cn = l.find("condition_number");
        layers.push_back({{"layer", l.value("layer", 0)},
                          {"condition_number", cn != l.end() && cn->is_number()
                                                   ? nlohmann::ordered_json(cn->get<double>())
                                                   : nlohmann::ordered_json(nullptr)},
                          {"cosine", cosine},
                          {"max_cosine", max_off_diagonal(cosine)}});
      }
    }
    auto experts = nlohmann::ordered_json::array();
    for (const auto& e : merge->experts) {
      experts.push_back({{"index", e.index},
                         {"label", e.label},
                         {"positive_prompts", e.positive_prompts},
                         {"negative_prompts", e.negative_prompts}});
    }
    out.push_back({{"merge", merge->name},
                   {"gate_mode", merge->gate_variant},
                   {"prompt_set_hash", prompt_set_hash(*merge)},
                   {"experts", experts},
                   {"layers", layers}});
  }
  return out;
}

}  // namespace moebench::reports

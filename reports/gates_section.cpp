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
  if (!cosine.is_array()) return best;
  for (size_t i = 0; i < cosine.size(); ++i) {
    if (!cosine[i].is_array()) continue;
    for (size_t j = 0; j < cosine[i].size(); ++j) {
      if (i != j && cosine[i][j].is_number()) {
        const double v = cosine[i][j].get<double>();
        if (std::isnan(best) || v > best) best = v;
      }
    }
  }
  return best;
}

namespace {

// A stored cosine matrix as rows of numbers; anything else (a damaged or
// foreign gate_stats) becomes null cells, or no rows, rather than an error.
nlohmann::ordered_json cosine_rows(const nlohmann::json& cosine) {
  auto rows = nlohmann::ordered_json::array();
  if (!cosine.is_array()) return rows;
  for (const auto& row : cosine) {
    auto cells = nlohmann::ordered_json::array();
    if (row.is_array()) {
      for (const auto& v : row) {
        cells.push_back(v.is_number() ? nlohmann::ordered_json(v.get<double>())
                                      : nlohmann::ordered_json(nullptr));
      }
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

nlohmann::ordered_json number_or_null(const nlohmann::json& layer, const char* key) {
  const auto it = layer.find(key);
  return it != layer.end() && it->is_number() ? nlohmann::ordered_json(it->get<double>())
                                              : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json gates_json(const ReportScope& scope) {
  auto out = nlohmann::ordered_json::array();
  for (const ModelRef* merge : scope.merges()) {
    const nlohmann::json stats = scope.store->stored_model(merge->model_id).gate_stats;
    auto layers = nlohmann::ordered_json::array();
    if (stats.is_object() && stats.contains("layers") && stats["layers"].is_array()) {
      for (const auto& l : stats["layers"]) {
        if (!l.is_object()) continue;
        const auto layer = l.find("layer");
        const nlohmann::json cosine = l.contains("cosine") ? l["cosine"] : nlohmann::json::array();
        layers.push_back({{"layer", layer != l.end() && layer->is_number_integer()
                                        ? nlohmann::ordered_json(layer->get<int64_t>())
                                        : nlohmann::ordered_json(nullptr)},
                          {"condition_number", number_or_null(l, "condition_number")},
                          {"cosine", cosine_rows(cosine)},
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

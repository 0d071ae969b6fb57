#include "reports/ablation_section.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "harness/io/yaml_input.h"
#include "reports/gates_section.h"
#include "reports/verdict.h"

namespace moebench::reports {
namespace {

// What a family shares: the base and the experts' sources, in order.
std::string family_key(const ModelRef& m) {
  std::string key = m.base_model;
  for (const auto& e : m.experts) key += "\n" + e.source_model;
  return key;
}

// The recipe an ablation's variants vary (its file and text as written).
std::string recipe_key(const ModelRef& m) { return m.recipe_path + "\n" + m.recipe; }

// The recipe's own gate_mode and experts_per_token (mergekit's defaults:
// hidden, 2); an unreadable recipe matches nothing.
bool built_as_written(const ModelRef& m) {
  try {
    const auto yaml = io::parse_yaml_text(m.recipe, m.recipe_path);
    const std::string mode = yaml["gate_mode"] ? yaml["gate_mode"].as<std::string>() : "hidden";
    const int64_t k = yaml["experts_per_token"] ? yaml["experts_per_token"].as<int64_t>() : 2;
    return m.gate_variant == mode && m.experts_per_token == k;
  } catch (const std::exception&) {
    return false;
  }
}

double mean_agreement(store::Database& db, int64_t run, int64_t model, const std::string& suite) {
  auto q = db.prepare(
      "SELECT CAST(SUM(expected_first) AS REAL) / NULLIF(SUM(tokens), 0) FROM suite_routing_agreement"
      " WHERE run_id = ? AND model_id = ? AND suite = ?");
  q.bind_all(run, model, suite);
  return q.step() ? q.real(0) : NAN;
}

}  // namespace

nlohmann::ordered_json ablations_json(const ReportScope& scope, const std::vector<SuiteRef>& suites,
                                      const nlohmann::ordered_json& gates) {
  auto& db = scope.store->database();
  const int64_t run = scope.run.run_id;
  // An ablation's variants with the recipe they vary; every merge (variants
  // aside) also with the merges of the same base and experts.
  std::map<std::string, std::vector<const ModelRef*>> families;
  std::set<std::string> ablated;
  for (const ModelRef* m : scope.merges())
    if (!m->ablation.empty()) ablated.insert(recipe_key(*m));
  for (const ModelRef* m : scope.merges()) {
    if (ablated.count(recipe_key(*m))) families["ablation\n" + recipe_key(*m)].push_back(m);
    if (m->ablation.empty()) families["sources\n" + family_key(*m)].push_back(m);
  }

  auto gate_summary = [&](const std::string& name, const char* key) {
    double best = NAN;
    for (const auto& g : gates) {
      if (g["merge"] != name) continue;
      for (const auto& l : g["layers"]) {
        const auto& v = key == std::string("condition_number") ? l["condition_number"] : l["max_cosine"];
        if (v.is_number() && (std::isnan(best) || v.get<double>() > best)) best = v.get<double>();
      }
    }
    return best;
  };

  auto out = nlohmann::ordered_json::array();
  for (auto& [key, members] : families) {
    if (members.size() < 2) continue;
    std::stable_sort(members.begin(), members.end(), [](const ModelRef* a, const ModelRef* b) {
      return a->model_id < b->model_id;
    });
    const ModelRef* reference = members.front();
    for (const ModelRef* m : members) {
      if (m->ablation.empty() && built_as_written(*m)) {
        reference = m;
        break;
      }
    }
    auto variants = nlohmann::ordered_json::array();
    for (const ModelRef* m : members) {
      auto rows = nlohmann::ordered_json::array();
      for (const auto& suite : suites) {
        const auto score = suite_score(db, run, m->model_id, suite);
        const auto ref = suite_score(db, run, reference->model_id, suite);
        if (!score) continue;
        nlohmann::ordered_json row = {{"suite", suite.name},
                                      {"value", score->value},
                                      {"ci", ci95_half_width(score->stderr_value)},
                                      {"diff", ref ? score->value - ref->value : NAN},
                                      {"agreement", mean_agreement(db, run, m->model_id, suite.name)}};
        row["test"] = m == reference || !ref
                          ? nlohmann::ordered_json(nullptr)
                          : comparison_json(paired_compare_maps(
                                scope.doc_scores(run, m->model_id, suite),
                                scope.doc_scores(run, reference->model_id, suite), scope.options.seed));
        rows.push_back(std::move(row));
      }
      variants.push_back({{"model", m->name},
                          {"gate_variant", m->gate_variant},
                          {"ablation", m->ablation},
                          {"gate_mode", m->gate_mode},
                          {"gates_hash", m->gates_hash},
                          {"experts_per_token", m->experts_per_token},
                          {"reference", m == reference},
                          {"prompt_set_hash", prompt_set_hash(*m)},
                          {"suites", rows},
                          {"max_condition_number", gate_summary(m->name, "condition_number")},
                          {"max_cosine", gate_summary(m->name, "max_cosine")}});
    }
    out.push_back({{"kind", key.rfind("ablation", 0) == 0 ? "ablation" : "same_experts"},
                   {"recipe", reference->recipe_path},
                   {"reference", reference->name},
                   {"variants", variants}});
  }
  return out;
}

}  // namespace moebench::reports

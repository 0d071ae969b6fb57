#include "reports/routing_section.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "harness/store/routing_stats.h"

#include "harness/util/error.h"

namespace moebench::reports {
namespace {

nlohmann::ordered_json share_rows(const PhaseCounts& c) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& layer : c.first) {
    int64_t total = 0;
    for (int64_t v : layer) total += v;
    auto row = nlohmann::ordered_json::array();
    for (int64_t v : layer) row.push_back(total > 0 ? static_cast<double>(v) / total : 0.0);
    out.push_back(std::move(row));
  }
  return out;
}

// The suite's expected expert label (tasks.expected_expert), if its tasks name one.
std::string expected_label(store::Database& db, int64_t run, int64_t model, const std::string& suite) {
  auto q = db.prepare(
      "SELECT DISTINCT t.expected_expert FROM samples x JOIN tasks t USING (task_id)"
      " WHERE x.run_id = ? AND x.model_id = ? AND t.suite = ? AND t.expected_expert <> '' LIMIT 1");
  q.bind_all(run, model, suite);
  return q.step() ? q.text(0) : "";
}

}  // namespace

double uniform_topk_overlap(int64_t e, int64_t k) {
  if (e <= 0 || k <= 0) return NAN;
  if (k > e - k) return 1.0;  // (2k > e without overflow: k may come from a damaged database)
  // C(E-k, k) / C(E, k) = prod_{i<k} (E-k-i) / (E-i)
  double disjoint = 1.0;
  for (int64_t i = 0; i < k; ++i) disjoint *= static_cast<double>(e - k - i) / (e - i);
  return 1.0 - disjoint;
}

nlohmann::ordered_json routing_suite_json(const ReportScope& scope, const ModelRef& merge,
                                          const SuiteRef& suite, const LoggedRouting& logged) {
  auto& db = scope.store->database();
  const int64_t run = scope.run.run_id;
  const std::string expected = expected_label(db, run, merge.model_id, suite.name);
  nlohmann::ordered_json expected_index = nullptr;
  for (const auto& e : merge.experts) {
    if (e.label == expected && expected_index.is_null()) expected_index = e.index;
  }

  // Sums over the suite's tasks, per layer.
  struct Layer {
    int64_t tokens = 0, pairs = 0, same_first = 0, same_topk = 0, top_k = 0, num_experts = 0;
    std::vector<double> first;
  };
  std::map<int64_t, Layer> layers;
  auto l = db.prepare(
      "SELECT s.layer, SUM(s.tokens), SUM(s.pairs), SUM(s.same_first), SUM(s.same_topk),"
      " MAX(s.top_k), MAX(s.num_experts) FROM routing_layer_stats s JOIN tasks t USING (task_id)"
      " WHERE s.run_id = ? AND s.model_id = ? AND t.suite = ? GROUP BY s.layer ORDER BY s.layer");
  l.bind_all(run, merge.model_id, suite.name);
  while (l.step()) {
    Layer& x = layers[l.int64(0)];
    x.tokens = l.int64(1);
    x.pairs = l.int64(2);
    x.same_first = l.int64(3);
    x.same_topk = l.int64(4);
    x.top_k = l.int64(5);
    x.num_experts = l.int64(6);
    if (x.num_experts < 0 || x.num_experts > 65536)  // expert ids are stored in two bytes
      fail_input(db.file(), "routing_layer_stats of model '{}', suite '{}', layer {}: num_experts {} "
                 "is not between 0 and 65536", merge.name, suite.name, l.int64(0), x.num_experts);
    x.first.assign(x.num_experts, 0.0);
  }
  if (layers.empty()) return nullptr;
  auto e = db.prepare(
      "SELECT s.layer, s.expert, TOTAL(s.first_choice) FROM routing_expert_stats s"
      " JOIN tasks t USING (task_id) WHERE s.run_id = ? AND s.model_id = ? AND t.suite = ?"
      " GROUP BY s.layer, s.expert");
  e.bind_all(run, merge.model_id, suite.name);
  while (e.step()) {
    auto it = layers.find(e.int64(0));
    const int64_t expert = e.int64(1);
    if (it != layers.end() && expert >= 0 && expert < it->second.num_experts) {
      it->second.first[expert] = e.real(2);
    }
  }
  std::map<int64_t, double> agreement;
  auto a = db.prepare(
      "SELECT layer, agreement FROM suite_routing_agreement WHERE run_id = ? AND model_id = ?"
      " AND suite = ?");
  a.bind_all(run, merge.model_id, suite.name);
  while (a.step()) agreement[a.int64(0)] = a.real(1);

  auto rows = nlohmann::ordered_json::array();
  for (const auto& [layer, x] : layers) {
    auto shares = nlohmann::ordered_json::array();
    double busiest = 0;
    for (double f : x.first) {
      const double s = x.tokens > 0 ? f / x.tokens : 0.0;
      shares.push_back(s);
      busiest = std::max(busiest, s);
    }
    auto agree = agreement.find(layer);
    rows.push_back(
        {{"layer", layer},
         {"tokens", x.tokens},
         {"first_choice_share", shares},
         {"agreement", agree == agreement.end() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(agree->second)},
         {"chance", x.num_experts > 0 ? 1.0 / x.num_experts : NAN},
         {"same_first_rate", x.pairs > 0 ? static_cast<double>(x.same_first) / x.pairs : NAN},
         {"uniform_same_first", uniform_topk_overlap(x.num_experts, 1)},
         {"same_topk_rate", x.pairs > 0 ? static_cast<double>(x.same_topk) / x.pairs : NAN},
         {"uniform_same_topk", uniform_topk_overlap(x.num_experts, x.top_k)},
         {"entropy_bits", std::accumulate(x.first.begin(), x.first.end(), 0.0) > 0
                              ? store::entropy_bits(x.first) : NAN},
         {"max_entropy_bits", x.num_experts > 0 ? std::log2(static_cast<double>(x.num_experts)) : NAN},
         {"busiest_share", busiest}});
  }
  nlohmann::ordered_json phases = {
      {"prefill", {{"tokens", logged.prefill.tokens}, {"first_choice_share", share_rows(logged.prefill)}}},
      {"decode", {{"tokens", logged.decode.tokens}, {"first_choice_share", share_rows(logged.decode)}}}};
  return {{"suite", suite.name},
          {"expected_label", expected.empty() ? nlohmann::ordered_json(nullptr)
                                              : nlohmann::ordered_json(expected)},
          {"expected_index", expected_index},
          {"layers", rows},
          {"phases", phases}};
}

}  // namespace moebench::reports

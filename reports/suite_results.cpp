#include "reports/suite_results.h"

#include <cmath>

#include "harness/store/stored_json.h"

namespace moebench::reports {
namespace {

// json_extract's path for a metric key ("acc,none" -> $."acc,none").
std::string metric_path(const std::string& metric) { return "$.\"" + metric + "\""; }

}  // namespace

std::vector<SuiteRef> run_suites(store::Database& db, int64_t run) {
  // Newest version of each suite the run scored, with its aggregate list.
  auto q = db.prepare(
      "SELECT DISTINCT s.name, s.alias, s.aggregate FROM suite_scores r JOIN suites s USING (suite_id)"
      " WHERE r.run_id = ? ORDER BY s.name, s.suite_id DESC");
  q.bind(1, run);
  std::vector<SuiteRef> out;
  while (q.step()) {
    if (!out.empty() && out.back().name == q.text(0)) continue;
    SuiteRef s;
    s.name = q.text(0);
    s.alias = q.text(1);
    const auto aggregate = store::parse_stored_json(q.text(2), db.file() + ": suite " + s.name);
    // The first aggregate metric the run has a score for is the headline.
    for (const auto& entry : aggregate) {
      if (!s.metric.empty()) break;
      for (const auto& filter : entry.value("filter_list", nlohmann::json::array())) {
        const std::string key = entry.value("metric", "") + "," + filter.get<std::string>();
        auto has = db.prepare(
            "SELECT r.higher_is_better FROM suite_scores r JOIN suites s USING (suite_id)"
            " WHERE r.run_id = ? AND s.name = ? AND r.metric = ? LIMIT 1");
        has.bind_all(run, s.name, key);
        if (has.step()) {
          s.metric = key;
          s.higher_is_better = has.int64(0) != 0;
          break;
        }
      }
    }
    if (s.metric.empty()) continue;
    auto tasks = db.prepare(
        "SELECT DISTINCT t.name FROM scores c JOIN tasks t USING (task_id)"
        " WHERE c.run_id = ? AND t.suite = ? AND c.metric = ? ORDER BY t.name");
    tasks.bind_all(run, s.name, s.metric);
    while (tasks.step()) s.tasks.push_back(tasks.text(0));
    auto binary = db.prepare(
        "SELECT COUNT(*) FROM samples x JOIN tasks t USING (task_id) WHERE x.run_id = ?"
        " AND t.suite = ? AND json_extract(x.metrics, ?) NOT IN (0, 1)");
    binary.bind_all(run, s.name, metric_path(s.metric));
    s.binary = binary.step() && binary.int64(0) == 0;
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<SuiteScore> suite_score(store::Database& db, int64_t run, int64_t model,
                                      const SuiteRef& suite) {
  auto q = db.prepare(
      "SELECT r.value, r.stderr, r.n FROM suite_scores r JOIN suites s USING (suite_id)"
      " WHERE r.run_id = ? AND r.model_id = ? AND s.name = ? AND r.metric = ?"
      " ORDER BY r.suite_id DESC LIMIT 1");
  q.bind_all(run, model, suite.name, suite.metric);
  if (!q.step()) return std::nullopt;
  return SuiteScore{q.real(0), q.real(1), q.int64(2)};
}

DocScores doc_scores(store::Database& db, int64_t run, int64_t model, const SuiteRef& suite) {
  auto q = db.prepare(
      "SELECT t.name, x.doc_id, json_extract(x.metrics, ?1) FROM samples x JOIN tasks t USING (task_id)"
      " WHERE x.run_id = ?2 AND x.model_id = ?3 AND t.suite = ?4"
      " AND json_extract(x.metrics, ?1) IS NOT NULL");
  q.bind_all(metric_path(suite.metric), run, model, suite.name);
  DocScores out;
  while (q.step()) {
    const double v = q.real(2);
    if (!std::isnan(v)) out[{q.text(0), q.int64(1)}] = v;
  }
  return out;
}

std::pair<std::vector<double>, std::vector<double>> paired_values(const DocScores& a,
                                                                  const DocScores& b) {
  std::pair<std::vector<double>, std::vector<double>> out;
  for (const auto& [key, va] : a) {
    auto it = b.find(key);
    if (it == b.end()) continue;
    out.first.push_back(va);
    out.second.push_back(it->second);
  }
  return out;
}

PairedComparison paired_compare_maps(const DocScores& a, const DocScores& b, uint64_t seed) {
  const auto [va, vb] = paired_values(a, b);
  return paired_compare(va, vb, seed);
}

}  // namespace moebench::reports

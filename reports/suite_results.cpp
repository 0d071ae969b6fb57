#include "reports/suite_results.h"

#include <cmath>

#include "harness/store/stored_json.h"
#include "harness/util/error.h"

namespace moebench::reports {
namespace {

// json_extract's path for a metric key ("acc,none" -> $."acc,none").
std::string metric_path(const std::string& metric) { return "$.\"" + metric + "\""; }

// A query over samples.metrics failed: SQLite's "malformed JSON" names no row,
// so name the first damaged one (else pass the error on).
[[noreturn]] void fail_on_metrics(store::Database& db, int64_t run, const std::string& suite,
                                  const store::StoreError& error) {
  auto bad = db.prepare(
      "SELECT m.name, t.name, x.doc_id FROM samples x JOIN tasks t USING (task_id)"
      " JOIN models m USING (model_id) WHERE x.run_id = ? AND t.suite = ?"
      " AND NOT json_valid(x.metrics) ORDER BY x.sample_id LIMIT 1");
  bad.bind_all(run, suite);
  if (bad.step()) {
    fail_input(db.file(), "samples.metrics of model '{}', task '{}', doc_id {} is not valid JSON",
               bad.text(0), bad.text(1), bad.int64(2));
  }
  throw error;
}

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
    // A damaged list (not a list of {metric, filter_list} objects) names no metric.
    for (const auto& entry : aggregate.is_array() ? aggregate : nlohmann::json::array()) {
      if (!s.metric.empty()) break;
      if (!entry.is_object() || !entry.contains("metric") || !entry["metric"].is_string() ||
          !entry.contains("filter_list") || !entry["filter_list"].is_array()) {
        continue;
      }
      for (const auto& filter : entry["filter_list"]) {
        if (!filter.is_string()) continue;
        const std::string key = entry["metric"].get<std::string>() + "," + filter.get<std::string>();
        if (key.find('"') != std::string::npos) continue;  // not a key a JSON path can name
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
        " AND t.suite = ? AND json_type(x.metrics, ?3) IN ('integer', 'real')"
        " AND json_extract(x.metrics, ?3) NOT IN (0, 1)");
    binary.bind_all(run, s.name, metric_path(s.metric));
    try {
      s.binary = binary.step() && binary.int64(0) == 0;
    } catch (const store::StoreError& e) {
      fail_on_metrics(db, run, s.name, e);
    }
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
      " AND json_type(x.metrics, ?1) IN ('integer', 'real')");  // null: a NaN; text: damage
  q.bind_all(metric_path(suite.metric), run, model, suite.name);
  DocScores out;
  try {
    while (q.step()) {
      const double v = q.real(2);
      if (!std::isnan(v)) out[{q.text(0), q.int64(1)}] = v;
    }
  } catch (const store::StoreError& e) {
    fail_on_metrics(db, run, suite.name, e);
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

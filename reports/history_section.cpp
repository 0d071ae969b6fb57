#include "reports/history_section.h"

#include <cmath>
#include <optional>

#include "reports/paired_stats.h"

namespace moebench::reports {

PairedChange paired_change(const DocScores& previous, const DocScores& current,
                           bool higher_is_better) {
  const auto [cur, prev] = paired_values(current, previous);
  std::vector<double> d(cur.size());
  for (size_t i = 0; i < cur.size(); ++i) d[i] = cur[i] - prev[i];
  const MeanCI ci = mean_ci(d);
  PairedChange out;
  out.n = ci.n;
  out.diff = ci.mean;
  out.half_width = ci.half_width;
  const double drop = higher_is_better ? -ci.mean : ci.mean;
  out.regression = ci.n >= 2 && drop > ci.half_width;
  return out;
}

nlohmann::ordered_json history_json(const ReportScope& scope, const std::vector<SuiteRef>& suites) {
  auto& db = scope.store->database();
  struct Run { int64_t id; std::string key, started_at; };
  std::vector<Run> runs;
  auto r = db.prepare("SELECT run_id, run_key, started_at FROM runs ORDER BY started_at, run_id");
  while (r.step()) runs.push_back({r.int64(0), r.text(1), r.text(2)});

  auto runs_json = nlohmann::ordered_json::array();
  for (const auto& run : runs) runs_json.push_back({{"run_key", run.key}, {"started_at", run.started_at}});
  auto series = nlohmann::ordered_json::array();
  auto regressions = nlohmann::ordered_json::array();
  for (const auto& model : scope.models) {
    for (const auto& suite : suites) {
      auto points = nlohmann::ordered_json::array();
      // The model of that name in each run (ids differ when its files changed).
      struct Point { const Run* run; int64_t model_id; };
      std::optional<Point> previous;
      for (const auto& run : runs) {
        auto m = db.prepare(
            "SELECT r.model_id, r.value, r.stderr FROM suite_scores r JOIN suites s USING (suite_id)"
            " JOIN models m USING (model_id) WHERE r.run_id = ? AND m.name = ? AND s.name = ?"
            " AND r.metric = ? ORDER BY r.suite_id DESC LIMIT 1");
        m.bind_all(run.id, model.name, suite.name, suite.metric);
        if (!m.step()) continue;
        const int64_t model_id = m.int64(0);
        nlohmann::ordered_json point = {{"run_key", run.key},
                                        {"date", run.started_at},
                                        {"value", m.real(1)},
                                        {"ci", ci95_half_width(m.real(2))},
                                        {"change", nullptr}};
        if (previous) {
          const auto c = paired_change(scope.doc_scores(previous->run->id, previous->model_id, suite),
                                       scope.doc_scores(run.id, model_id, suite), suite.higher_is_better);
          point["change"] = {{"diff", c.diff}, {"ci_low", c.diff - c.half_width},
                             {"ci_high", c.diff + c.half_width}, {"n", c.n},
                             {"half_width", c.half_width}, {"regression", c.regression}};
          if (c.regression) {
            regressions.push_back({{"model", model.name}, {"suite", suite.name},
                                   {"run_key", run.key}, {"previous_run_key", previous->run->key},
                                   {"diff", c.diff}, {"half_width", c.half_width}});
          }
        }
        points.push_back(std::move(point));
        previous = Point{&run, model_id};
      }
      if (points.empty()) continue;
      series.push_back({{"model", model.name},
                        {"suite", suite.name},
                        {"metric", suite.metric},
                        {"higher_is_better", suite.higher_is_better},
                        {"points", points}});
    }
  }
  return {{"runs", runs_json}, {"series", series}, {"regressions", regressions}};
}

}  // namespace moebench::reports

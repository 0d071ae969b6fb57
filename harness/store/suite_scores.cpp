#include "harness/store/suite_scores.h"

#include <nlohmann/json.hpp>

#include <map>

#include "harness/store/stored_json.h"
#include "harness/util/group_mean.h"

namespace moebench::store {

int64_t put_suite(Database& db, const SuiteInfo& s) {
  nlohmann::json aggregate = nlohmann::json::array();
  for (const SuiteAggregate& a : s.aggregate)
    aggregate.push_back({{"metric", a.metric}, {"filter_list", a.filters}, {"weight_by_size", a.weight_by_size}});
  return put_suite_row(db, s.name, s.spec_hash, s.alias, s.version, nlohmann::json(s.tasks).dump(), aggregate.dump());
}

int64_t put_suite_row(Database& db, const std::string& name, const std::string& spec_hash, const std::string& alias,
                      const std::string& version, const std::string& tasks, const std::string& aggregate) {
  auto q = db.prepare(
      "INSERT INTO suites (name, spec_hash, alias, version, tasks, aggregate) VALUES (?, ?, ?, ?, ?, ?)"
      " ON CONFLICT (name, spec_hash) DO UPDATE SET alias = excluded.alias RETURNING suite_id");
  q.bind_all(name, spec_hash, alias, version, tasks, aggregate);
  if (!q.step()) throw StoreError(db.file() + ": put_suite returned no id", 0);
  const int64_t id = q.int64(0);
  while (q.step()) {
  }
  return id;
}

void recompute_suite_scores(Database& db, int64_t run, int64_t model, int64_t suite,
                            const std::string& now) {
  auto spec = db.prepare("SELECT aggregate FROM suites WHERE suite_id = ?");
  spec.bind(1, suite);
  if (!spec.step()) throw StoreError(db.file() + ": recompute_suite_scores: no suite " + std::to_string(suite), 0);
  const nlohmann::json aggregate = parse_stored_json(spec.text(0), db.file() + ": suites.aggregate of suite " +
                                                                      std::to_string(suite));

  // metric key -> the member tasks' scores, and whether higher is better.
  std::map<std::string, std::vector<MemberScore>> members;
  std::map<std::string, bool> higher;
  auto q = db.prepare(
      "SELECT s.metric, s.value, s.stderr, s.n, s.higher_is_better FROM scores s"
      " JOIN tasks t USING (task_id) JOIN suites u ON u.suite_id = ?3"
      " WHERE s.run_id = ?1 AND s.model_id = ?2 AND t.suite = u.name"
      "   AND t.name IN (SELECT value FROM json_each(u.tasks))"
      // One version of each task: an edited spec resumed under the same run is a second task row.
      "   AND t.task_id = (SELECT MAX(s2.task_id) FROM scores s2 JOIN tasks t2 USING (task_id)"
      "                    WHERE s2.run_id = ?1 AND s2.model_id = ?2 AND t2.name = t.name)"
      " ORDER BY t.task_id");
  q.bind_all(run, model, suite);
  while (q.step()) {
    members[q.text(0)].push_back({q.real(1), q.real(2), q.int64(3)});
    higher[q.text(0)] = q.int64(4) != 0;
  }
  auto clear = db.prepare("DELETE FROM suite_scores WHERE run_id = ? AND model_id = ? AND suite_id = ?");
  clear.bind_all(run, model, suite);
  clear.run();
  for (const auto& a : aggregate.is_array() ? aggregate : nlohmann::json::array()) {
    const bool well_formed = a.is_object() && a.contains("metric") && a["metric"].is_string() &&
                             a.contains("filter_list") && a["filter_list"].is_array() &&
                             a.contains("weight_by_size") && a["weight_by_size"].is_boolean();
    if (!well_formed)
      throw StoreError(db.file() + ": suites.aggregate of suite " + std::to_string(suite) + ": malformed entry " +
                           a.dump().substr(0, 200), 0);
    const bool by_size = a["weight_by_size"].get<bool>();
    for (const auto& filter : a["filter_list"]) {
      if (!filter.is_string()) continue;
      const std::string key = a["metric"].get<std::string>() + "," + filter.get<std::string>();
      auto it = members.find(key);
      if (it == members.end()) continue;
      const GroupMean g = group_mean(it->second, by_size);
      auto ins = db.prepare(
          "INSERT OR REPLACE INTO suite_scores (run_id, model_id, suite_id, metric, value, stderr, n,"
          " higher_is_better, tasks, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      ins.bind_all(run, model, suite, key, g.value, g.stderr_value, g.n,
                   static_cast<int64_t>(higher[key]), static_cast<int64_t>(it->second.size()), now);
      ins.run();
    }
  }
}

std::vector<SuiteScoreRow> read_suite_scores(Database& db, std::optional<int64_t> run) {
  auto q = db.prepare(
      "SELECT run_id, model_id, suite_id, run_key, model, gate_variant, suite, alias, metric, value,"
      " stderr, n, higher_is_better, tasks, suite_tasks FROM suite_score_rows"
      " WHERE ?1 IS NULL OR run_id = ?1 ORDER BY run_id, model, gate_variant, suite, metric");
  if (run)
    q.bind(1, *run);
  else
    q.bind_null(1);
  std::vector<SuiteScoreRow> out;
  while (q.step()) {
    SuiteScoreRow r;
    r.run_id = q.int64(0);
    r.model_id = q.int64(1);
    r.suite_id = q.int64(2);
    r.run_key = q.text(3);
    r.model = q.text(4);
    r.gate_variant = q.text(5);
    r.suite = q.text(6);
    r.alias = q.text(7);
    r.metric = q.text(8);
    r.value = q.real(9);
    r.stderr_value = q.real(10);
    r.n = q.int64(11);
    r.higher_is_better = q.int64(12) != 0;
    r.tasks = q.int64(13);
    r.suite_tasks = q.int64(14);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace moebench::store

#include "harness/store/routing_aggregates.h"

#include <map>
#include <string>

namespace moebench::store {

namespace {

void refresh_entropy(Database& db, int64_t run, int64_t model, int64_t task, int32_t layer) {
  auto q = db.prepare(
      "SELECT tokens, weight_mass FROM routing_expert_stats"
      " WHERE run_id = ? AND model_id = ? AND task_id = ? AND layer = ? ORDER BY expert");
  q.bind_all(run, model, task, layer);
  std::vector<double> assigned, mass;
  while (q.step()) {
    assigned.push_back(static_cast<double>(q.int64(0)));
    mass.push_back(q.real(1));
  }
  auto u = db.prepare(
      "UPDATE routing_layer_stats SET entropy_bits = ?, weighted_entropy_bits = ?"
      " WHERE run_id = ? AND model_id = ? AND task_id = ? AND layer = ?");
  u.bind_all(entropy_bits(assigned), entropy_bits(mass), run, model, task, layer);
  u.run();
}

}  // namespace

void add_routing_aggregates(Database& db, int64_t run, int64_t model, int64_t task,
                            const std::vector<RoutingStats>& stats) {
  for (const RoutingStats& s : stats) {
    // The WHERE makes a shape mismatch update nothing, which we then report.
    auto layer = db.prepare(
        "INSERT INTO routing_layer_stats (run_id, model_id, task_id, layer, top_k, num_experts,"
        " tokens, pairs, same_first, same_topk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (run_id, model_id, task_id, layer) DO UPDATE SET"
        " tokens = tokens + excluded.tokens, pairs = pairs + excluded.pairs,"
        " same_first = same_first + excluded.same_first,"
        " same_topk = same_topk + excluded.same_topk"
        " WHERE top_k = excluded.top_k AND num_experts = excluded.num_experts");
    layer.bind_all(run, model, task, s.layer, s.top_k, s.num_experts, s.tokens, s.pairs,
                   s.same_first, s.same_topk);
    if (layer.run() != 1)
      throw StoreError(db.file() + ": routing of layer " + std::to_string(s.layer) + " (top-" +
                           std::to_string(s.top_k) + " of " + std::to_string(s.num_experts) +
                           ") does not match the layer shape already stored for run " +
                           std::to_string(run) + ", model " + std::to_string(model) +
                           ", task " + std::to_string(task),
                       0);
    for (int32_t e = 0; e < s.num_experts; ++e) {
      auto expert = db.prepare(
          "INSERT INTO routing_expert_stats (run_id, model_id, task_id, layer, expert, tokens,"
          " first_choice, weight_mass) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
          " ON CONFLICT (run_id, model_id, task_id, layer, expert) DO UPDATE SET"
          " tokens = tokens + excluded.tokens, first_choice = first_choice + excluded.first_choice,"
          " weight_mass = weight_mass + excluded.weight_mass");
      expert.bind_all(run, model, task, s.layer, e, s.assigned[e], s.first[e], s.mass[e]);
      expert.run();
    }
    refresh_entropy(db, run, model, task, s.layer);
  }
}

void replace_routing_aggregates(Database& db, int64_t run, int64_t model, int64_t task,
                                const std::vector<RoutingStats>& stats) {
  for (const char* sql : {"DELETE FROM routing_layer_stats WHERE run_id = ? AND model_id = ? AND task_id = ?",
                          "DELETE FROM routing_expert_stats WHERE run_id = ? AND model_id = ? AND task_id = ?"}) {
    auto q = db.prepare(sql);
    q.bind_all(run, model, task);
    q.run();
  }
  add_routing_aggregates(db, run, model, task, stats);
}

std::vector<RoutingStats> read_routing_aggregates(Database& db, int64_t run, int64_t model,
                                                  int64_t task) {
  std::map<int32_t, RoutingStats> by_layer;
  auto q = db.prepare(
      "SELECT layer, top_k, num_experts, tokens, pairs, same_first, same_topk"
      " FROM routing_layer_stats WHERE run_id = ? AND model_id = ? AND task_id = ?");
  q.bind_all(run, model, task);
  while (q.step()) {
    RoutingStats s;
    s.layer = static_cast<int32_t>(q.int64(0));
    s.top_k = static_cast<int32_t>(q.int64(1));
    s.num_experts = static_cast<int32_t>(q.int64(2));
    s.tokens = q.int64(3);
    s.pairs = q.int64(4);
    s.same_first = q.int64(5);
    s.same_topk = q.int64(6);
    s.assigned.assign(s.num_experts, 0);
    s.first.assign(s.num_experts, 0);
    s.mass.assign(s.num_experts, 0.0);
    by_layer[s.layer] = std::move(s);
  }
  auto e = db.prepare(
      "SELECT layer, expert, tokens, first_choice, weight_mass FROM routing_expert_stats"
      " WHERE run_id = ? AND model_id = ? AND task_id = ?");
  e.bind_all(run, model, task);
  while (e.step()) {
    auto it = by_layer.find(static_cast<int32_t>(e.int64(0)));
    const int64_t expert = e.int64(1);
    if (it == by_layer.end() || expert < 0 || expert >= it->second.num_experts)
      throw StoreError(db.file() + ": routing_expert_stats row for layer " +
                           std::to_string(e.int64(0)) + ", expert " + std::to_string(expert) +
                           " has no matching routing_layer_stats row",
                       0);
    it->second.assigned[expert] = e.int64(2);
    it->second.first[expert] = e.int64(3);
    it->second.mass[expert] = e.real(4);
  }
  std::vector<RoutingStats> out;
  for (auto& [layer, s] : by_layer) out.push_back(std::move(s));
  return out;
}

}  // namespace moebench::store

// ResultsStore's batch writes: samples with their routing, and scores.
#include <map>

#include "harness/store/results_store.h"
#include "harness/store/routing_aggregates.h"

namespace moebench::store {

namespace {

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Responses as compact JSON: only the fields a request type fills.
nlohmann::json responses_json(const std::vector<SampleResponse>& responses) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : responses) {
    nlohmann::json j = nlohmann::json::object();
    if (!r.text.empty()) j["text"] = r.text;
    if (r.logprob != 0 || r.text.empty()) j["logprob"] = r.logprob;
    if (r.is_greedy) j["is_greedy"] = true;
    if (r.tokens != 0) j["tokens"] = r.tokens;
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json numbers_json(const std::map<std::string, double>& values) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : values) out[name] = value;  // NaN becomes null
  return out;
}

}  // namespace

WriteResult ResultsStore::write_samples(int64_t run, int64_t model, int64_t task,
                                        const std::vector<SampleRecord>& samples,
                                        const RoutingOptions& routing) {
  WriteResult result;
  const std::string written_at = now();
  std::map<int32_t, RoutingStats> stats;  // this batch's new samples, per layer
  Transaction tx(*db_);
  int64_t logged = logged_routing_tokens(run, model, task);  // under the write lock: exact

  for (const SampleRecord& s : samples) {
    const bool has_routing = routing.mode != RoutingMode::None && !s.routing.empty();
    if (has_routing) s.routing.validate(file() + ": doc_id " + std::to_string(s.doc_id));
    const int64_t tokens = has_routing ? s.routing.tokens() : 0;
    const bool keep = has_routing && routing.mode == RoutingMode::Tokens &&
                      logged + tokens <= routing.token_cap;
    auto insert = db_->prepare(
        "INSERT OR IGNORE INTO samples (run_id, model_id, task_id, doc_id, prompt, target,"
        " responses, filtered, program_results, metrics, metric_weights, routing_tokens,"
        " routing_logged, routing_segments, written_at, doc_hash, prompt_hash, target_hash,"
        " routing_decode, routing_pieces)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind_all(run, model, task, s.doc_id, s.prompt, s.score.target,
                    dump(responses_json(s.responses)), dump(nlohmann::json(s.score.filtered)),
                    dump(nlohmann::json(s.score.program_results)),
                    dump(numbers_json(s.score.metrics)), dump(numbers_json(s.score.weights)),
                    tokens, static_cast<int64_t>(keep));
    if (keep)
      insert.bind_blob(14, encode_segments(s.routing.segments));
    else
      insert.bind_null(14);
    insert.bind(15, written_at).bind(16, s.doc_hash).bind(17, s.prompt_hash).bind(18, s.target_hash);
    // Which segments are generated, and each token's text: only with the
    // tokens they describe (the pieces are model text: invalid UTF-8 becomes U+FFFD).
    insert.bind(19, keep ? dump(nlohmann::json(s.routing.decode_segments)) : "[]");
    insert.bind(20, keep ? dump(nlohmann::json(s.routing.pieces)) : "[]");
    if (insert.run() == 0) {  // the unique key: stored by an earlier attempt
      ++result.skipped;
      continue;
    }
    ++result.inserted;
    if (!has_routing) continue;
    const int64_t sample_id = db_->last_insert_rowid();
    for (const LayerRouting& layer : s.routing.layers) {
      RoutingStats layer_stats = routing_stats(layer, s.routing.segments);
      auto [it, fresh] = stats.try_emplace(layer.layer, layer_stats);
      if (!fresh) it->second.add(layer_stats);
      if (!keep) continue;
      EncodedRouting blobs = encode_routing(layer, routing.zstd_level);
      auto row = db_->prepare(
          "INSERT INTO routing (sample_id, layer, top_k, num_experts, tokens, compression,"
          " expert_ids, weights) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      row.bind_all(sample_id, layer.layer, layer.top_k, layer.num_experts, layer.tokens(),
                   blobs.zstd ? "zstd" : "none");
      row.bind_blob(7, blobs.expert_ids).bind_blob(8, blobs.weights);
      row.run();
    }
    if (keep) {
      logged += tokens;
      result.logged_tokens += tokens;
    }
  }
  std::vector<RoutingStats> sums;
  for (auto& [layer, s] : stats) sums.push_back(std::move(s));
  add_routing_aggregates(*db_, run, model, task, sums);
  tx.commit();
  return result;
}

void ResultsStore::write_scores(int64_t run, int64_t model, int64_t task,
                                const std::map<std::string, MetricScore>& metrics) {
  const std::string written_at = now();
  Transaction tx(*db_);
  auto clear = db_->prepare("DELETE FROM scores WHERE run_id = ? AND model_id = ? AND task_id = ?");
  clear.bind_all(run, model, task);
  clear.run();
  for (const auto& [name, m] : metrics) {
    auto q = db_->prepare(
        "INSERT INTO scores (run_id, model_id, task_id, metric, value, stderr, n,"
        " higher_is_better, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind_all(run, model, task, name, m.value, m.stderr_value, m.n,
               static_cast<int64_t>(m.higher_is_better), written_at);
    q.run();
  }
  tx.commit();
}

}  // namespace moebench::store

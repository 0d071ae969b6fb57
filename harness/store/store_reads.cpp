// ResultsStore's reads: what resume, the CLI and the tests need.
#include <cmath>

#include "harness/store/results_store.h"
#include "harness/store/routing_aggregates.h"
#include "harness/store/stored_json.h"
#include "harness/util/error.h"

namespace moebench::store {

namespace {

double number_or_nan(const nlohmann::json& j, const char* key, double fallback) {
  if (!j.contains(key)) return fallback;
  return j[key].is_number() ? j[key].get<double>() : std::nan("");  // null: a NaN was stored
}

// JSON null is how NaN was stored.
std::map<std::string, double> read_numbers(const nlohmann::json& j) {
  std::map<std::string, double> out;
  for (auto& [name, value] : j.items())
    out[name] = value.is_number() ? value.get<double>() : std::nan("");
  return out;
}

std::map<std::string, std::vector<std::string>> read_string_lists(const nlohmann::json& j,
                                                                  const std::string& where) {
  std::map<std::string, std::vector<std::string>> out;
  for (auto& [name, list] : j.items()) {
    if (!list.is_array()) throw StoreError(where + ": '" + name + "' is not a list", 0);
    for (auto& item : list) out[name].push_back(item.is_string() ? item.get<std::string>() : item.dump());
  }
  return out;
}

}  // namespace

std::vector<SampleRecord> ResultsStore::stored_samples(int64_t run, int64_t model, int64_t task) {
  auto q = db_->prepare(
      "SELECT doc_id, metrics, metric_weights, filtered, program_results, target, prompt, responses,"
      " doc_hash, prompt_hash, target_hash FROM samples"
      " WHERE run_id = ? AND model_id = ? AND task_id = ? ORDER BY doc_id");
  q.bind_all(run, model, task);
  std::vector<SampleRecord> out;
  while (q.step()) {
    const std::string where = file() + ": sample doc_id " + std::to_string(q.int64(0));
    SampleRecord s;
    s.doc_id = q.int64(0);
    s.score.metrics = read_numbers(parse_stored_json(q.text(1), where + " metrics"));
    s.score.weights = read_numbers(parse_stored_json(q.text(2), where + " metric_weights"));
    s.score.filtered = read_string_lists(parse_stored_json(q.text(3), where + " filtered"), where);
    s.score.program_results = read_string_lists(parse_stored_json(q.text(4), where + " program_results"), where);
    s.score.target = q.text(5);
    s.prompt = q.text(6);
    const nlohmann::json responses = parse_stored_json(q.text(7), where + " responses");
    if (!responses.is_array()) throw StoreError(where + ": responses is not a list", 0);
    for (const auto& r : responses) {
      if (!r.is_object()) throw StoreError(where + ": a response is not an object", 0);
      SampleResponse response;
      response.logprob = number_or_nan(r, "logprob", 0.0);
      response.is_greedy = r.contains("is_greedy") && r["is_greedy"] == true;
      response.text = r.contains("text") && r["text"].is_string() ? r["text"].get<std::string>() : "";
      response.tokens = r.contains("tokens") && r["tokens"].is_number_integer() ? r["tokens"].get<int64_t>() : 0;
      s.responses.push_back(std::move(response));
    }
    s.doc_hash = q.text(8);
    s.prompt_hash = q.text(9);
    s.target_hash = q.text(10);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::pair<int64_t, SampleScore>> ResultsStore::sample_scores(int64_t run,
                                                                             int64_t model,
                                                                             int64_t task) {
  auto q = db_->prepare(
      "SELECT doc_id, metrics, metric_weights, filtered, program_results, target FROM samples"
      " WHERE run_id = ? AND model_id = ? AND task_id = ? ORDER BY doc_id");
  q.bind_all(run, model, task);
  std::vector<std::pair<int64_t, SampleScore>> out;
  while (q.step()) {
    const std::string where = file() + ": sample doc_id " + std::to_string(q.int64(0));
    SampleScore score;
    score.metrics = read_numbers(parse_stored_json(q.text(1), where + " metrics"));
    score.weights = read_numbers(parse_stored_json(q.text(2), where + " metric_weights"));
    score.filtered = read_string_lists(parse_stored_json(q.text(3), where + " filtered"), where);
    score.program_results = read_string_lists(parse_stored_json(q.text(4), where + " program_results"), where);
    score.target = q.text(5);
    out.emplace_back(q.int64(0), std::move(score));
  }
  return out;
}

int64_t ResultsStore::logged_routing_tokens(int64_t run, int64_t model, int64_t task) {
  auto q = db_->prepare(
      "SELECT COALESCE(SUM(routing_tokens), 0) FROM samples"
      " WHERE run_id = ? AND model_id = ? AND task_id = ? AND routing_logged = 1");
  q.bind_all(run, model, task);
  return q.step() ? q.int64(0) : 0;
}

SampleRouting ResultsStore::stored_routing(int64_t run, int64_t model, int64_t task,
                                           int64_t doc_id) {
  const std::string where = file() + ": routing of doc_id " + std::to_string(doc_id);
  auto q = db_->prepare(
      "SELECT sample_id, routing_segments, routing_decode, routing_pieces FROM samples"
      " WHERE run_id = ? AND model_id = ? AND task_id = ? AND doc_id = ? AND routing_logged = 1");
  q.bind_all(run, model, task, doc_id);
  SampleRouting out;
  if (!q.step()) return out;
  const int64_t sample_id = q.int64(0);
  out.segments = decode_segments(q.blob(1), where);
  const nlohmann::json decode = parse_stored_json(q.text(2), where + ": routing_decode");
  const nlohmann::json pieces = parse_stored_json(q.text(3), where + ": routing_pieces");
  if (!decode.is_array()) throw StoreError(where + ": routing_decode is not a list", 0);
  if (!pieces.is_array()) throw StoreError(where + ": routing_pieces is not a list", 0);
  for (const auto& d : decode) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<uint64_t>() >= out.segments.size())
      throw StoreError(where + ": routing_decode entry " + d.dump() + " is not a segment index below " +
                           std::to_string(out.segments.size()), 0);
    out.decode_segments.push_back(d.get<int32_t>());
  }
  for (const auto& p : pieces) {
    if (!p.is_string()) throw StoreError(where + ": routing_pieces entry " + p.dump() + " is not a string", 0);
    out.pieces.push_back(p.get<std::string>());
  }
  auto rows = db_->prepare(
      "SELECT layer, top_k, num_experts, tokens, compression, expert_ids, weights FROM routing"
      " WHERE sample_id = ? ORDER BY layer");
  rows.bind(1, sample_id);
  while (rows.step()) {
    const auto layer = static_cast<int32_t>(rows.int64(0));
    EncodedRouting blobs{rows.blob(5), rows.blob(6), rows.text(4) == "zstd"};
    out.layers.push_back(decode_routing(blobs, layer, static_cast<int32_t>(rows.int64(1)),
                                        static_cast<int32_t>(rows.int64(2)), rows.int64(3),
                                        where + ", layer " + std::to_string(layer)));
  }
  return out;
}

std::vector<RoutingStats> ResultsStore::routing_aggregates(int64_t run, int64_t model, int64_t task) {
  return read_routing_aggregates(*db_, run, model, task);
}

ModelInfo ResultsStore::stored_model(int64_t model_id) {
  const std::string where = file() + ": model " + std::to_string(model_id);
  auto q = db_->prepare(
      "SELECT name, content_hash, gate_variant, path, architecture, num_layers, num_experts,"
      " experts_per_token, recipe_path, recipe, base_model, max_length, num_parameters,"
      " special_tokens, gate_stats, gate_mode, gates_file, gates_hash, ablation FROM models WHERE model_id = ?");
  q.bind(1, model_id);
  if (!q.step()) throw StoreError(where + ": no such model", 0);
  ModelInfo m;
  m.name = q.text(0);
  m.content_hash = q.text(1);
  m.gate_variant = q.text(2);
  m.path = q.text(3);
  m.architecture = q.text(4);
  m.num_layers = q.int64(5);
  m.num_experts = q.int64(6);
  m.experts_per_token = q.int64(7);
  m.recipe_path = q.text(8);
  m.recipe = q.text(9);
  m.base_model = q.text(10);
  m.max_length = q.int64(11);
  m.num_parameters = q.int64(12);
  m.special_tokens = parse_stored_json(q.text(13), where + " special_tokens");
  m.gate_stats = parse_stored_json(q.text(14), where + " gate_stats");
  if (!m.gate_stats.is_object()) throw StoreError(where + ": gate_stats is not an object", 0);
  m.gate_mode = q.text(15);
  m.gates_file = q.text(16);
  m.gates_hash = q.text(17);
  m.ablation = q.text(18);
  auto experts = db_->prepare(
      "SELECT source_model, label, positive_prompts, negative_prompts FROM model_experts"
      " WHERE model_id = ? ORDER BY expert");
  experts.bind(1, model_id);
  while (experts.step()) {
    ExpertInfo e{experts.text(0), experts.text(1), {}, {}};
    for (int c : {2, 3}) {
      const nlohmann::json list = parse_stored_json(experts.text(c), where + " expert prompts");
      if (!list.is_array()) throw StoreError(where + ": expert prompts are not a list", 0);
      for (const auto& p : list)
        (c == 2 ? e.positive_prompts : e.negative_prompts).push_back(p.is_string() ? p.get<std::string>() : p.dump());
    }
    m.experts.push_back(std::move(e));
  }
  return m;
}

std::vector<RunRow> ResultsStore::runs() {
  auto q = db_->prepare(
      "SELECT run_id, run_key, plan, plan_hash, status, started_at, COALESCE(finished_at, ''),"
      " git_revision, host, device, dtype, shard, settings FROM runs ORDER BY run_id");
  std::vector<RunRow> out;
  while (q.step()) {
    RunRow r;
    r.run_id = q.int64(0);
    r.run_key = q.text(1);
    r.plan = q.text(2);
    r.plan_hash = q.text(3);
    r.status = q.text(4);
    r.started_at = q.text(5);
    r.finished_at = q.text(6);
    r.git_revision = q.text(7);
    r.host = q.text(8);
    r.device = q.text(9);
    r.dtype = q.text(10);
    r.shard = q.text(11);
    r.settings = parse_stored_json(q.text(12), file() + ": settings of run " + r.run_key);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ScoreRow> ResultsStore::scores(std::optional<int64_t> run) {
  auto q = db_->prepare(
      "SELECT run_id, run_key, model, gate_variant, task, suite, metric, value, stderr, n,"
      " higher_is_better, num_docs FROM score_rows WHERE ?1 IS NULL OR run_id = ?1"
      " ORDER BY run_id, suite, task, model, gate_variant, metric");
  if (run)
    q.bind(1, *run);
  else
    q.bind_null(1);
  std::vector<ScoreRow> out;
  while (q.step()) {
    ScoreRow r;
    r.run_id = q.int64(0);
    r.run_key = q.text(1);
    r.model = q.text(2);
    r.gate_variant = q.text(3);
    r.task = q.text(4);
    r.suite = q.text(5);
    r.metric = q.text(6);
    r.value = q.real(7);
    r.stderr_value = q.real(8);
    r.n = q.int64(9);
    r.higher_is_better = q.int64(10) != 0;
    r.num_docs = q.int64(11);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace moebench::store

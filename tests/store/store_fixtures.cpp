#include "tests/store/store_fixtures.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moebench::store::testing {

RunInfo run_info(const std::string& key, const std::string& shard) {
  RunInfo r;
  r.run_key = key;
  r.plan = "models/nightly.yml";
  r.plan_hash = "plan-sha";
  r.git_revision = "abc123";
  r.host = "host-" + (shard.empty() ? std::string("0") : shard.substr(0, shard.find('/')));
  r.device = "cpu";
  r.dtype = "float32";
  r.shard = shard;
  r.settings = {{"routing", "tokens"}, {"batch_size", 8}};
  return r;
}

ModelInfo model_info(const std::string& name, int64_t experts) {
  ModelInfo m;
  m.name = name;
  m.content_hash = "sha-" + name;
  m.path = "/models/" + name;
  m.architecture = experts ? "MixtralForCausalLM" : "MistralForCausalLM";
  m.num_layers = 3;
  m.num_experts = experts;
  m.experts_per_token = experts ? 2 : 0;
  if (experts) {
    m.gate_variant = "hidden";
    m.recipe_path = "models/" + name + ".yml";
    m.recipe = "base_model: base\ngate_mode: hidden\n";
    m.base_model = "base";
    const char* labels[] = {"chat", "coding", "math", "roleplay"};
    for (int64_t e = 0; e < experts; ++e)
      m.experts.push_back({"expert-" + std::to_string(e), labels[e % 4],
                           {std::string("prompt about ") + labels[e % 4]}, {}});
  }
  return m;
}

TaskInfo task_info(const std::string& name, const std::string& suite,
                   const std::string& expected_expert) {
  TaskInfo t;
  t.name = name;
  t.spec_hash = "spec-" + name;
  t.suite = suite;
  t.version = "1.0";
  t.output_type = "multiple_choice";
  t.num_docs = 100;
  t.expected_expert = expected_expert;
  return t;
}

SampleRecord sample(int64_t doc_id) {
  SampleRecord s;
  s.doc_id = doc_id;
  s.prompt = "Question " + std::to_string(doc_id) + ", with \"quotes\", commas\nand a newline";
  s.responses.resize(2);
  s.responses[0].logprob = -1.25 - static_cast<double>(doc_id);
  s.responses[0].is_greedy = true;
  s.responses[1].logprob = -3.5;
  s.score.metrics = {{"acc,none", static_cast<double>(doc_id % 2)},
                     {"acc_norm,none", static_cast<double>((doc_id / 2) % 2)}};
  s.score.target = "answer " + std::to_string(doc_id);
  return s;
}

FakeRouter::FakeRouter(int layers, int experts, int top_k, uint64_t seed)
    : layers_(layers), experts_(experts), top_k_(top_k), rng_(seed) {}

void FakeRouter::prefill(const std::map<int64_t, int64_t>& lengths, int batch,
                         model::RoutingSink* sink) {
  std::vector<int64_t> order;
  for (const auto& [request, length] : lengths) order.push_back(request);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return lengths.at(a) > lengths.at(b); });
  for (size_t i = 0; i < order.size(); i += batch) {
    std::vector<int64_t> rows(order.begin() + i, order.begin() + std::min(order.size(), i + batch));
    std::vector<int64_t> starts(rows.size(), 0), lens;
    for (int64_t r : rows) lens.push_back(lengths.at(r));
    forward(rows, starts, lens, sink);
  }
}

void FakeRouter::decode_step(const std::vector<int64_t>& requests, model::RoutingSink* sink) {
  std::vector<int64_t> starts;
  for (int64_t r : requests) starts.push_back(next_position_[r]);
  forward(requests, starts, std::vector<int64_t>(requests.size(), 1), sink, /*decode=*/true);
}

void FakeRouter::forward(const std::vector<int64_t>& rows, const std::vector<int64_t>& starts,
                         const std::vector<int64_t>& lengths, model::RoutingSink* sink, bool decode) {
  const int64_t B = static_cast<int64_t>(rows.size());
  const int64_t T = *std::max_element(lengths.begin(), lengths.end());
  std::vector<int64_t> positions(B * T);
  std::vector<uint8_t> valid(B * T);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      positions[b * T + t] = starts[b] + t;
      valid[b * T + t] = t < lengths[b];
    }
  std::normal_distribution<float> logit(0.0f, 1.5f);
  for (int layer = 0; layer < layers_; ++layer) {
    std::vector<int32_t> ids(B * T * top_k_);
    std::vector<float> weights(B * T * top_k_);
    for (int64_t row = 0; row < B * T; ++row) {
      std::vector<float> p(experts_);
      float sum = 0;
      for (auto& x : p) sum += (x = std::exp(logit(rng_)));
      std::vector<int32_t> order(experts_);
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](int32_t a, int32_t c) { return p[a] > p[c]; });
      float top = 0;
      for (int j = 0; j < top_k_; ++j) top += p[order[j]];
      for (int j = 0; j < top_k_; ++j) {
        // Padding slots get values no real token has: a recorder that kept
        // them would fail to encode (id out of range) or compare.
        ids[row * top_k_ + j] = valid[row] ? order[j] : 99;
        weights[row * top_k_ + j] = valid[row] ? p[order[j]] / top : NAN;
      }
    }
    model::RoutingEvent e;
    e.layer = layer;
    e.batch = B;
    e.seq = T;
    e.top_k = top_k_;
    e.num_experts = experts_;
    e.expert_ids = ids.data();
    e.weights = weights.data();
    e.probabilities = nullptr;
    e.positions = positions.data();
    e.valid = valid.data();
    e.row_request = rows.data();
    e.decode = decode;
    sink->on_routing(e);
    for (int64_t b = 0; b < B; ++b) {
      auto& per_layer = truth[rows[b]];
      per_layer.resize(layers_);
      for (int64_t t = 0; t < lengths[b]; ++t) {
        const int64_t row = b * T + t;
        per_layer[layer].push_back(
            {positions[row], {ids.begin() + row * top_k_, ids.begin() + (row + 1) * top_k_},
             {weights.begin() + row * top_k_, weights.begin() + (row + 1) * top_k_}});
      }
    }
  }
  for (int64_t b = 0; b < B; ++b) next_position_[rows[b]] = starts[b] + lengths[b];
}

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    const std::string stem = name.size() > 4 ? name.substr(0, name.size() - 4) : "";
    const bool sidecar = (name.rfind("-wal") == stem.size() || name.rfind("-shm") == stem.size()) &&
                         !stem.empty() && stem[0] != '.' && std::filesystem::exists(dir / stem);
    if (!sidecar) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace moebench::store::testing

#include "tests/testing/size_estimate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/store/results_store.h"

namespace fs = std::filesystem;

namespace moebench::store {

SampleRouting synthetic_routing(const ModelShape& shape, int64_t tokens, std::mt19937_64& rng) {
  std::normal_distribution<float> logit(0.0f, 1.0f);
  SampleRouting out;
  out.segments = {{0, 0, tokens}};
  std::vector<float> p(shape.experts);
  std::vector<int32_t> order(shape.experts);
  for (int32_t layer = 0; layer < shape.layers; ++layer) {
    LayerRouting r{layer, shape.top_k, shape.experts, {}, {}};
    for (int64_t t = 0; t < tokens; ++t) {
      float max = -INFINITY, sum = 0;
      for (auto& x : p) max = std::max(max, x = logit(rng));
      for (auto& x : p) sum += (x = std::exp(x - max));
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + shape.top_k, order.end(),
                        [&](int32_t a, int32_t b) { return p[a] > p[b]; });
      float top = 0;
      for (int32_t j = 0; j < shape.top_k; ++j) top += p[order[j]];
      for (int32_t j = 0; j < shape.top_k; ++j) {
        r.expert_ids.push_back(order[j]);
        r.weights.push_back(p[order[j]] / top);
      }
    }
    out.layers.push_back(std::move(r));
  }
  return out;
}

namespace {

int64_t write_and_measure(const fs::path& path, const ModelShape& shape, int64_t samples,
                          int64_t tokens_per_sample, const RoutingOptions& routing, uint64_t seed) {
  fs::remove(path);
  {
    ResultsStore store = ResultsStore::open(path);
    RunInfo run_info;
    run_info.run_key = "size-estimate";
    ModelInfo model_info;
    model_info.name = "synthetic";
    TaskInfo task_info;
    task_info.name = "synthetic";
    const int64_t run = store.begin_run(run_info);
    const int64_t model = store.upsert_model(model_info);
    const int64_t task = store.upsert_task(task_info);
    std::mt19937_64 rng(seed);
    std::vector<SampleRecord> batch;
    for (int64_t i = 0; i < samples; ++i) {
      SampleRecord s;
      s.doc_id = i;
      s.prompt = "Question " + std::to_string(i);
      s.responses.resize(1);
      s.responses[0].logprob = -1.5;
      s.score.metrics = {{"acc,none", 1.0}};
      s.routing = synthetic_routing(shape, tokens_per_sample, rng);  // drawn either way
      batch.push_back(std::move(s));
      if (batch.size() == 16 || i + 1 == samples) {
        store.write_samples(run, model, task, batch, routing);
        batch.clear();
      }
    }
  }  // the last connection checkpoints the WAL into the file and removes it
  return static_cast<int64_t>(fs::file_size(path));
}

}  // namespace

RoutingSizeMeasurement measure_routing_size(const fs::path& dir, const ModelShape& shape,
                                            int64_t samples, int64_t tokens_per_sample,
                                            int zstd_level, uint64_t seed) {
  RoutingOptions with{RoutingMode::Tokens, INT64_MAX, zstd_level};
  RoutingOptions without{RoutingMode::None, 0, 0};
  RoutingSizeMeasurement m;
  m.tokens = samples * tokens_per_sample;
  m.bytes_with = write_and_measure(dir / "size-with.sqlite", shape, samples, tokens_per_sample,
                                   with, seed);
  m.bytes_without = write_and_measure(dir / "size-without.sqlite", shape, samples,
                                      tokens_per_sample, without, seed);
  m.bytes_per_1000_tokens =
      1000.0 * static_cast<double>(m.bytes_with - m.bytes_without) / static_cast<double>(m.tokens);
  return m;
}

SuiteSizeProjection project_suite_size(const SuiteShape& suite, const ModelShape& shape,
                                       int64_t token_cap, double bytes_per_1000_tokens) {
  SuiteSizeProjection p;
  const int64_t all_tokens = suite.docs_per_task * suite.tokens_per_doc;
  p.logged_tokens_per_task = token_cap < 0 ? all_tokens : std::min(token_cap, all_tokens);
  // Aggregate rows: one per layer and per (layer, expert), ~64 bytes each with b-tree overhead.
  const double aggregates = 64.0 * shape.layers * (1 + shape.experts);
  p.routing_bytes = static_cast<double>(suite.tasks) *
                    (p.logged_tokens_per_task * bytes_per_1000_tokens / 1000.0 + aggregates);
  p.text_bytes = static_cast<double>(suite.tasks * suite.docs_per_task * suite.text_bytes_per_doc);
  p.total_bytes = p.routing_bytes + p.text_bytes;
  return p;
}

}  // namespace moebench::store

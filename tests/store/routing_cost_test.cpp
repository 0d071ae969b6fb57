// What routing logging costs on the host, without a model: synthetic events of
// a 32-layer, 4-expert, top-2 model (16 rows x 256 tokens per forward pass)
// through the recorder and into the store. Printed, not asserted (shared CI
// cores make timings noisy); the evaluation benchmark compares whole runs.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>

#include "harness/store/results_store.h"
#include "harness/jobs/routing_recorder.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

using moebench::testing::ScratchDir;
using namespace moebench::store::testing;
using jobs::RoutingRecorder;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

TEST(RoutingCost, RecordAndStorePer1000Tokens) {
  constexpr int kRows = 16, kTokens = 256, kLayers = 32, kBatches = 4;
  std::map<int64_t, int64_t> lengths;
  std::vector<int64_t> docs;
  for (int r = 0; r < kRows * kBatches; ++r) {
    lengths[r] = kTokens - (r % 7) * 8;  // right padding in every batch
    docs.push_back(r);
  }
  // Events are generated up front so only the recorder is timed.
  struct Captured : model::RoutingSink {
    std::vector<std::vector<int32_t>> ids;
    std::vector<std::vector<float>> weights;
    std::vector<std::vector<int64_t>> positions, rows;
    std::vector<std::vector<uint8_t>> valid;
    std::vector<model::RoutingEvent> events;
    void on_routing(const model::RoutingEvent& e) override {
      const int64_t n = e.batch * e.seq;
      ids.emplace_back(e.expert_ids, e.expert_ids + n * e.top_k);
      weights.emplace_back(e.weights, e.weights + n * e.top_k);
      positions.emplace_back(e.positions, e.positions + n);
      valid.emplace_back(e.valid, e.valid + n);
      rows.emplace_back(e.row_request, e.row_request + e.batch);
      events.push_back(e);
    }
  } captured;
  FakeRouter router(kLayers, 4, 2, 3);
  router.prefill(lengths, kRows, &captured);
  int64_t tokens = 0;
  for (const auto& [r, n] : lengths) tokens += n;

  for (int zstd : {0, 1}) {
    ScratchDir dir;
    auto store = ResultsStore::open(dir.path() / "r.sqlite");
    const int64_t run = store.begin_run(run_info("r")), model = store.upsert_model(model_info("m"));
    const int64_t task = store.upsert_task(task_info("t"));
    RoutingRecorder recorder;
    recorder.set_request_docs(docs);
    auto t0 = Clock::now();
    for (size_t i = 0; i < captured.events.size(); ++i) {
      model::RoutingEvent e = captured.events[i];
      e.expert_ids = captured.ids[i].data();
      e.weights = captured.weights[i].data();
      e.positions = captured.positions[i].data();
      e.valid = captured.valid[i].data();
      e.row_request = captured.rows[i].data();
      recorder.on_routing(e);
    }
    const double record = seconds_since(t0);
    auto t1 = Clock::now();
    std::vector<SampleRecord> batch;
    for (int64_t d : docs) {
      batch.push_back(sample(d));
      batch.back().routing = recorder.take(d);
    }
    const double take = seconds_since(t1);
    auto t2 = Clock::now();
    RoutingOptions options{RoutingMode::Tokens, INT64_MAX, zstd};
    store.write_samples(run, model, task, batch, options);
    const double write = seconds_since(t2);
    const double per1k = 1000.0 / tokens * 1e3;  // seconds -> ms per 1,000 tokens
    fmt::print("routing cost, 32 layers, {} tokens, zstd {}: record {:.2f} + take {:.2f} + write "
               "{:.2f} = {:.2f} ms per 1,000 tokens\n",
               tokens, zstd, record * per1k, take * per1k, write * per1k,
               (record + take + write) * per1k);
    EXPECT_EQ(store.logged_routing_tokens(run, model, task), tokens);
  }
}

}  // namespace
}  // namespace moebench::store

// Routing end to end without a model: a fake MoE forward reports events like
// Transformer::moe, the recorder collects them per document, the store writes
// blobs and aggregates; decoded blobs must equal what was reported and the
// aggregates the sums recomputed from the blobs.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/store/results_store.h"
#include "harness/jobs/routing_recorder.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"

namespace moebench::store {
namespace {

using moebench::testing::ScratchDir;
using namespace moebench::store::testing;
using jobs::RoutingRecorder;

constexpr int kLayers = 3, kExperts = 4, kTopK = 2;

struct Scenario {
  // Documents 0..5; document d has 1 + d % 3 requests (multiple choice), the
  // request index order interleaving documents like a flattened task.
  std::vector<int64_t> doc_of_request;
  std::map<int64_t, int64_t> lengths;  // request index -> prefill tokens
  FakeRouter router{kLayers, kExperts, kTopK, 2024};
  RoutingRecorder recorder;

  Scenario() {
    for (int64_t d = 0; d < 6; ++d)
      for (int64_t r = 0; r < 1 + d % 3; ++r) doc_of_request.push_back(d);
    for (size_t i = 0; i < doc_of_request.size(); ++i)
      lengths[static_cast<int64_t>(i)] = 3 + static_cast<int64_t>((i * 7) % 11);
    recorder.set_request_docs(doc_of_request);
    router.prefill(lengths, /*batch=*/4, &recorder);
    // Generation: three decode steps for the requests of documents 0 and 2.
    for (int step = 0; step < 3; ++step) router.decode_step({0, 3}, &recorder);
  }

  // What document `doc` must hold at `layer`: its requests' tokens in order.
  std::vector<TokenRoute> expected(int64_t doc, int layer) {
    std::vector<TokenRoute> out;
    for (size_t i = 0; i < doc_of_request.size(); ++i)
      if (doc_of_request[i] == doc) {
        auto tokens = router.truth.at(static_cast<int64_t>(i))[layer];
        std::stable_sort(tokens.begin(), tokens.end(),
                         [](const TokenRoute& a, const TokenRoute& b) { return a.position < b.position; });
        out.insert(out.end(), tokens.begin(), tokens.end());
      }
    return out;
  }
};

struct Ids {
  int64_t run, model, task;
};

Ids identities(ResultsStore& store) {
  return {store.begin_run(run_info("r")), store.upsert_model(model_info("moe")),
          store.upsert_task(task_info("coding_tasks", "coding", "coding"))};
}

// The scenario's six documents as samples carrying their recorded routing.
std::vector<SampleRecord> routed_samples(Scenario& sc) {
  std::vector<SampleRecord> batch;
  for (int64_t d = 0; d < 6; ++d) {
    batch.push_back(sample(d));
    batch.back().routing = sc.recorder.take(d);
  }
  return batch;
}

TEST(RoutingStore, DecodedBlobsEqualTheTapsValuesForEveryToken) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  Ids ids = identities(store);
  Scenario sc;
  std::vector<SampleRecord> batch = routed_samples(sc);
  EXPECT_EQ(sc.recorder.buffered_tokens(), 0);
  WriteResult w = store.write_samples(ids.run, ids.model, ids.task, batch);
  EXPECT_EQ(w.inserted, 6);

  int64_t checked = 0;
  for (int64_t d = 0; d < 6; ++d) {
    SampleRouting stored = store.stored_routing(ids.run, ids.model, ids.task, d);
    ASSERT_EQ(stored.layers.size(), static_cast<size_t>(kLayers)) << "doc " << d;
    EXPECT_EQ(stored.segments, batch[d].routing.segments);
    for (int layer = 0; layer < kLayers; ++layer) {
      const LayerRouting& got = stored.layers[layer];
      const std::vector<TokenRoute> want = sc.expected(d, layer);
      ASSERT_EQ(got.tokens(), static_cast<int64_t>(want.size())) << "doc " << d;
      for (size_t t = 0; t < want.size(); ++t)
        for (int j = 0; j < kTopK; ++j) {
          EXPECT_EQ(got.expert_ids[t * kTopK + j], want[t].ids[j]);
          const float w = want[t].weights[j];
          EXPECT_EQ(got.weights[t * kTopK + j], float_from_fp16(fp16_from_float(w)));
          EXPECT_LE(std::fabs(got.weights[t * kTopK + j] - w), std::ldexp(std::fabs(w), -11));
          ++checked;
        }
    }
  }
  EXPECT_GT(checked, 500);
  // Document 0's first request was prefilled, then decoded for three steps:
  // positions 0 .. length + 2, the decode steps a segment of their own.
  const int64_t length = sc.lengths[0];
  EXPECT_EQ(batch[0].routing.segments,
            (std::vector<RoutingSegment>{{0, 0, length}, {0, length, 3}}));
  EXPECT_EQ(batch[0].routing.decode_segments, std::vector<int32_t>{1});
  EXPECT_EQ(store.stored_routing(ids.run, ids.model, ids.task, 0).decode_segments, std::vector<int32_t>{1});
  EXPECT_TRUE(batch[1].routing.decode_segments.empty());
  // The fake router reports no token ids: none are kept, none stored.
  EXPECT_TRUE(batch[0].routing.token_ids.empty());
  EXPECT_TRUE(store.stored_routing(ids.run, ids.model, ids.task, 0).pieces.empty());
}

TEST(RoutingStore, AggregatesEqualSumsRecomputedFromTheBlobs) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  Ids ids = identities(store);
  Scenario sc;
  // Two batches (a resumed run writes the same way) and one retried batch.
  std::vector<SampleRecord> first, second;
  for (int64_t d = 0; d < 6; ++d) {
    (d < 3 ? first : second).push_back(sample(d));
    (d < 3 ? first : second).back().routing = sc.recorder.take(d);
  }
  store.write_samples(ids.run, ids.model, ids.task, first);
  store.write_samples(ids.run, ids.model, ids.task, second);
  EXPECT_EQ(store.write_samples(ids.run, ids.model, ids.task, first).skipped, 3);

  std::vector<RoutingStats> recomputed;
  for (int64_t d = 0; d < 6; ++d) {
    SampleRouting stored = store.stored_routing(ids.run, ids.model, ids.task, d);
    for (size_t l = 0; l < stored.layers.size(); ++l) {
      RoutingStats s = routing_stats(stored.layers[l], stored.segments);
      if (recomputed.size() <= l)
        recomputed.push_back(s);
      else
        recomputed[l].add(s);
    }
  }
  std::vector<RoutingStats> aggregates = store.routing_aggregates(ids.run, ids.model, ids.task);
  ASSERT_EQ(aggregates.size(), recomputed.size());
  for (size_t l = 0; l < aggregates.size(); ++l) {
    const RoutingStats &a = aggregates[l], &r = recomputed[l];
    EXPECT_EQ(a.tokens, r.tokens);
    EXPECT_EQ(a.pairs, r.pairs);
    EXPECT_EQ(a.same_first, r.same_first);
    EXPECT_EQ(a.same_topk, r.same_topk);
    EXPECT_EQ(a.assigned, r.assigned);
    EXPECT_EQ(a.first, r.first);
    EXPECT_EQ(a.mass, r.mass);  // exact: fp16 weights add up in units of 2^-24
    // Weight mass sums to one per token.
    double mass = 0;
    for (double m : a.mass) mass += m;
    EXPECT_NEAR(mass, static_cast<double>(a.tokens), 1e-3 * a.tokens);
    auto q = store.database().prepare(
        "SELECT entropy_bits, weighted_entropy_bits, same_first_rate FROM routing_layer_summary"
        " WHERE run_id = ? AND model_id = ? AND task_id = ? AND layer = ?");
    q.bind_all(ids.run, ids.model, ids.task, a.layer);
    ASSERT_TRUE(q.step());
    std::vector<double> assigned(r.assigned.begin(), r.assigned.end());
    EXPECT_NEAR(q.real(0), entropy_bits(assigned), 1e-12);
    EXPECT_NEAR(q.real(1), entropy_bits(r.mass), 1e-9);
    EXPECT_NEAR(q.real(2), static_cast<double>(r.same_first) / r.pairs, 1e-12);
  }

  // Routing agreement: the task expects "coding", expert 1 of model_info's recipe.
  auto agree = store.database().prepare(
      "SELECT layer, tokens, agreement FROM suite_routing_agreement WHERE suite = 'coding'"
      " ORDER BY layer");
  for (size_t l = 0; l < aggregates.size(); ++l) {
    ASSERT_TRUE(agree.step());
    EXPECT_EQ(agree.int64(1), aggregates[l].tokens);
    EXPECT_DOUBLE_EQ(agree.real(2), static_cast<double>(aggregates[l].first[1]) / aggregates[l].tokens);
  }
}

TEST(RoutingStore, TheCapKeepsWholeSamplesAndCountsEverySampleInTheAggregates) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  Ids ids = identities(store);
  Scenario sc;
  std::vector<SampleRecord> batch = routed_samples(sc);
  RoutingOptions capped;
  capped.token_cap = batch[0].routing.tokens() + batch[1].routing.tokens();
  std::vector<SampleRecord> head(batch.begin(), batch.begin() + 2);
  std::vector<SampleRecord> tail(batch.begin() + 2, batch.end());
  EXPECT_EQ(store.write_samples(ids.run, ids.model, ids.task, head, capped).logged_tokens,
            capped.token_cap);
  EXPECT_EQ(store.write_samples(ids.run, ids.model, ids.task, tail, capped).logged_tokens, 0);
  EXPECT_EQ(store.logged_routing_tokens(ids.run, ids.model, ids.task), capped.token_cap);
  EXPECT_EQ(store.stored_routing(ids.run, ids.model, ids.task, 1).layers.size(), 3u);
  EXPECT_TRUE(store.stored_routing(ids.run, ids.model, ids.task, 2).empty());
  int64_t all_tokens = 0;
  for (const auto& s : batch) all_tokens += s.routing.tokens();
  EXPECT_EQ(store.routing_aggregates(ids.run, ids.model, ids.task).at(0).tokens, all_tokens);
}

TEST(RoutingStore, SummaryAndNoneModes) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  Ids ids = identities(store);
  Scenario sc;
  SampleRecord s = sample(0);
  s.routing = sc.recorder.take(0);
  RoutingOptions summary{RoutingMode::Summary, 50000, 3};
  store.write_samples(ids.run, ids.model, ids.task, {s}, summary);
  EXPECT_TRUE(store.stored_routing(ids.run, ids.model, ids.task, 0).empty());
  EXPECT_EQ(store.routing_aggregates(ids.run, ids.model, ids.task).at(0).tokens, s.routing.tokens());
  s.doc_id = 1;
  store.write_samples(ids.run, ids.model, ids.task, {s}, {RoutingMode::None, 0, 0});
  EXPECT_EQ(store.routing_aggregates(ids.run, ids.model, ids.task).at(0).tokens, s.routing.tokens());
  EXPECT_EQ(parse_routing_mode("summary", "--routing"), RoutingMode::Summary);
  try {
    parse_routing_mode("token", "--routing");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--routing: routing mode 'token' is not none, summary or tokens");
  }
}

TEST(RoutingRecorder, ARetriedBatchKeepsTheLastReportOfEachPosition) {
  RoutingRecorder recorder;
  recorder.set_request_docs({7});
  FakeRouter router(1, 4, 2, 1);
  router.prefill({{0, 5}}, 1, &recorder);
  router.truth.clear();
  router.prefill({{0, 5}}, 1, &recorder);  // the engine retried the batch (out of memory)
  SampleRouting r = recorder.take(7);
  ASSERT_EQ(r.segments, (std::vector<RoutingSegment>{{0, 0, 5}}));
  for (int t = 0; t < 5; ++t) EXPECT_EQ(r.layers[0].expert_ids[t * 2], router.truth[0][0][t].ids[0]);
  EXPECT_TRUE(recorder.take(7).empty());  // taken
  EXPECT_TRUE(recorder.take(8).empty());  // never seen
}

TEST(RoutingRecorder, UnknownRequestIndicesAreBugsNamedInTheMessage) {
  RoutingRecorder recorder;
  recorder.set_request_docs({0, 0});
  FakeRouter router(1, 4, 2, 1);
  try {
    router.prefill({{5, 3}}, 1, &recorder);
    FAIL();
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("request index 5"), std::string::npos);
  }
}

// Pieces and decode segments are stored with the tokens they describe: as
// written (invalid UTF-8 as U+FFFD) when logged, '[]' when only counted; a
// count that does not match the tokens is a bug named in the message.
TEST(RoutingStore, PiecesAndDecodeSegmentsOnlyWithLoggedTokens) {
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  Ids ids = identities(store);
  Scenario sc;
  SampleRecord s = sample(0);
  s.routing = sc.recorder.take(0);
  const int64_t tokens = s.routing.tokens();
  for (int64_t t = 0; t < tokens; ++t) s.routing.pieces.push_back(t == 0 ? std::string("\xE2") : " w" + std::to_string(t));
  store.write_samples(ids.run, ids.model, ids.task, {s});
  SampleRouting stored = store.stored_routing(ids.run, ids.model, ids.task, 0);
  ASSERT_EQ(static_cast<int64_t>(stored.pieces.size()), tokens);
  EXPECT_EQ(stored.pieces[0], "\xEF\xBF\xBD");  // U+FFFD
  EXPECT_EQ(stored.pieces[1], " w1");
  EXPECT_EQ(stored.decode_segments, std::vector<int32_t>{1});
  EXPECT_TRUE(stored.is_decode(1));
  EXPECT_FALSE(stored.is_decode(0));

  s.doc_id = 1;
  store.write_samples(ids.run, ids.model, ids.task, {s}, {RoutingMode::Summary, 50000, 1});
  auto q = store.database().prepare("SELECT routing_decode, routing_pieces FROM samples WHERE doc_id = 1");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "[]");
  EXPECT_EQ(q.text(1), "[]");

  s.doc_id = 2;
  s.routing.pieces.pop_back();
  EXPECT_THROW(store.write_samples(ids.run, ids.model, ids.task, {s}), std::invalid_argument);
  s.routing.pieces.clear();
  s.routing.decode_segments = {5};
  EXPECT_THROW(store.write_samples(ids.run, ids.model, ids.task, {s}), std::invalid_argument);
}

}  // namespace
}  // namespace moebench::store

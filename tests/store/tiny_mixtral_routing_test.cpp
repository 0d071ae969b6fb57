// Routing logs on the tiny Mixtral: what the store decodes from its blobs
// equals what the router tap reported for every stored token (scoring with
// shared multiple-choice contexts, plain scoring, and generation), and the
// aggregates equal the sums recomputed from the blobs.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <tuple>

#include "harness/model/language_model.h"
#include "harness/store/results_store.h"
#include "harness/jobs/routing_recorder.h"
#include "tests/store/store_fixtures.h"
#include "tests/testing/test_env.h"
#include "tests/testing/tiny_models.h"

namespace moebench::store {
namespace {

using moebench::testing::ScratchDir;
using namespace moebench::store::testing;
using jobs::RoutingRecorder;

// Forwards to the recorder and keeps its own copy of every real token's
// routing: (request, layer, position) -> ids, weights (last report wins).
class TeeSink : public model::RoutingSink {
 public:
  explicit TeeSink(RoutingRecorder* recorder) : recorder_(recorder) {}
  void on_routing(const model::RoutingEvent& e) override {
    recorder_->on_routing(e);
    for (int64_t b = 0; b < e.batch; ++b)
      for (int64_t t = 0; t < e.seq; ++t) {
        const int64_t row = b * e.seq + t;
        if (!e.valid[row]) continue;
        auto& slot = seen[{e.row_request[b], e.layer, e.positions[row]}];
        slot.ids.assign(e.expert_ids + row * e.top_k, e.expert_ids + (row + 1) * e.top_k);
        slot.weights.assign(e.weights + row * e.top_k, e.weights + (row + 1) * e.top_k);
        slot.position = e.positions[row];
      }
  }
  std::map<std::tuple<int64_t, int, int64_t>, TokenRoute> seen;

 private:
  RoutingRecorder* recorder_;
};

// Compares a stored sample with the tap's record of `requests` (in order).
void expect_matches_tap(const SampleRouting& stored, const TeeSink& tap,
                        const std::vector<int64_t>& requests, int layers, int64_t* checked) {
  ASSERT_EQ(stored.layers.size(), static_cast<size_t>(layers));
  for (int layer = 0; layer < layers; ++layer) {
    std::vector<const TokenRoute*> want;
    for (int64_t r : requests)
      for (const auto& [key, route] : tap.seen)
        if (std::get<0>(key) == r && std::get<1>(key) == layer) want.push_back(&route);
    const LayerRouting& got = stored.layers[layer];
    ASSERT_EQ(got.tokens(), static_cast<int64_t>(want.size())) << "layer " << layer;
    for (size_t t = 0; t < want.size(); ++t)
      for (int j = 0; j < got.top_k; ++j) {
        EXPECT_EQ(got.expert_ids[t * got.top_k + j], want[t]->ids[j]);
        EXPECT_EQ(got.weights[t * got.top_k + j], float_from_fp16(fp16_from_float(want[t]->weights[j])));
        ++*checked;
      }
  }
}

TEST(TinyMixtralRouting, StoredBlobsEqualTheRouterTapForEveryToken) {
  model::TinyModelSpec spec;
  spec.num_layers = 3;
  auto lm = model::LanguageModel::load(model::testing::tiny_model_dir(spec, "store-mixtral"));
  ScratchDir dir;
  auto store = ResultsStore::open(dir.path() / "r.sqlite");
  const int64_t run = store.begin_run(run_info("r"));
  const int64_t model = store.upsert_model(model_info("tiny-mixtral"));
  const int64_t task = store.upsert_task(task_info("mc", "coding", "coding"));

  // Doc 0: four choices of one context (scored with one shared context pass);
  // doc 1: one request; doc 2: two requests with different contexts.
  std::vector<model::LoglikelihoodRequest> requests = {
      {{1, 20, 21, 22, 23, 24}, {30, 31}}, {{1, 20, 21, 22, 23, 24}, {32}},
      {{1, 20, 21, 22, 23, 24}, {33, 34, 35}}, {{1, 20, 21, 22, 23, 24}, {36}},
      {{1, 40, 41}, {42, 43, 44, 45}},
      {{1, 50, 51, 52, 53, 54, 55, 56}, {57}}, {{1, 60}, {61, 62}}};
  const std::vector<int64_t> doc_of_request = {0, 0, 0, 0, 1, 2, 2};
  RoutingRecorder recorder;
  recorder.set_request_docs(doc_of_request);
  TeeSink tap(&recorder);
  lm->loglikelihood(requests, /*batch_size=*/3, &tap);
  std::vector<SampleRecord> batch;
  for (int64_t d = 0; d < 3; ++d) {
    batch.push_back(sample(d));
    batch.back().routing = recorder.take(d);
  }
  // Doc 3: a generated answer (prefill, then one decode step per token).
  std::vector<model::GenerationRequest> gen(1);
  gen[0].prompt = {1, 70, 71, 72};
  gen[0].max_new_tokens = 6;
  TeeSink gen_tap(&recorder);
  recorder.set_request_docs({3});
  const model::GenerationResult result = lm->generate(gen, 1, &gen_tap).at(0);
  batch.push_back(sample(3));
  batch.back().routing = recorder.take(3);
  store.write_samples(run, model, task, batch);

  int64_t checked = 0;
  const std::vector<std::vector<int64_t>> requests_of = {{0, 1, 2, 3}, {4}, {5, 6}};
  for (int64_t d = 0; d < 3; ++d)
    expect_matches_tap(store.stored_routing(run, model, task, d), tap, requests_of[d], 3, &checked);
  SampleRouting generated = store.stored_routing(run, model, task, 3);
  expect_matches_tap(generated, gen_tap, {0}, 3, &checked);
  EXPECT_GT(checked, 100);
  // The shared context is routed once: request 0 holds context + its
  // continuation, the other choices only their continuations, minus the last
  // token (it is predicted, never fed), so one-token choices route nothing.
  SampleRouting mc = store.stored_routing(run, model, task, 0);
  EXPECT_EQ(mc.segments, (std::vector<RoutingSegment>{{0, 0, 7}, {2, 6, 2}}));
  // A generation is one run of positions in two segments: the prompt, then
  // the generated tokens fed back (decode steps); each token with its id.
  ASSERT_EQ(generated.segments.size(), 2u);
  EXPECT_EQ(generated.segments[0], (RoutingSegment{0, 0, 4}));
  EXPECT_EQ(generated.segments[1].first_position, 4);
  EXPECT_GE(generated.segments[1].tokens, 1);
  EXPECT_EQ(generated.decode_segments, std::vector<int32_t>{1});
  EXPECT_TRUE(mc.decode_segments.empty());
  ASSERT_EQ(batch.back().routing.token_ids.size(), static_cast<size_t>(generated.tokens()));
  EXPECT_EQ(std::vector<int32_t>(batch.back().routing.token_ids.begin(), batch.back().routing.token_ids.begin() + 4),
            gen[0].prompt);
  // Generated tokens are fed back until one ends the generation (at the
  // length limit it is only predicted; EOS is not among the tokens at all).
  std::vector<int32_t> fed = result.tokens;
  if (result.stop_reason != "eos") fed.pop_back();
  EXPECT_EQ(std::vector<int32_t>(batch.back().routing.token_ids.begin() + 4, batch.back().routing.token_ids.end()), fed);

  std::vector<RoutingStats> sums;
  for (int64_t d = 0; d < 4; ++d) {
    SampleRouting s = store.stored_routing(run, model, task, d);
    for (size_t l = 0; l < s.layers.size(); ++l) {
      RoutingStats st = routing_stats(s.layers[l], s.segments);
      if (sums.size() <= l) sums.push_back(st); else sums[l].add(st);
    }
  }
  auto aggregates = store.routing_aggregates(run, model, task);
  ASSERT_EQ(aggregates.size(), sums.size());
  for (size_t l = 0; l < sums.size(); ++l) {
    EXPECT_EQ(aggregates[l].tokens, sums[l].tokens);
    EXPECT_EQ(aggregates[l].assigned, sums[l].assigned);
    EXPECT_EQ(aggregates[l].first, sums[l].first);
    EXPECT_EQ(aggregates[l].pairs, sums[l].pairs);
    EXPECT_EQ(aggregates[l].same_first, sums[l].same_first);
    EXPECT_EQ(aggregates[l].same_topk, sums[l].same_topk);
    EXPECT_EQ(aggregates[l].mass, sums[l].mass);
  }
}

}  // namespace
}  // namespace moebench::store

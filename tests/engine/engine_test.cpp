// The engine answers text requests in the caller's order, scores duplicates
// once, and reports routing under the caller's request indices.
#include "harness/engine/engine.h"

#include <gtest/gtest.h>

#include <set>

#include "harness/util/error.h"
#include "tests/testing/tiny_models.h"

namespace moebench::engine {
namespace {

std::shared_ptr<const model::LanguageModel> tiny() {
  static auto lm = model::LanguageModel::load(model::testing::tiny_model_dir({}, "mixtral"));
  return lm;
}

std::vector<Request> mixed_requests() {
  std::vector<Request> r;
  r.push_back({Request::Kind::GenerateUntil, "Once upon a time", "", {"."}, 8});
  r.push_back({Request::Kind::Loglikelihood, "The cat sat on the", " mat", {}, 0});
  r.push_back({Request::Kind::Loglikelihood, "The cat sat on the", " hat", {}, 0});
  r.push_back({Request::Kind::LoglikelihoodRolling, "", "A short story about a dog.", {}, 0});
  r.push_back({Request::Kind::Loglikelihood, "Two plus two is", " four", {}, 0});
  r.push_back({Request::Kind::Loglikelihood, "The cat sat on the", " mat", {}, 0});  // duplicate
  r.push_back({Request::Kind::GenerateUntil, "Q: What is 2+2?\nA:", "", {"\n"}, 6});
  return r;
}

TEST(Engine, ResponsesInRequestOrderWhateverTheBatchSize) {
  EngineOptions one;
  one.batch_size = 1;
  one.show_progress = false;
  EngineOptions many = one;
  many.batch_size = 16;
  auto requests = mixed_requests();
  auto a = Engine(tiny(), one).run(requests, "test");
  auto b = Engine(tiny(), many).run(requests, "test");
  ASSERT_EQ(a.size(), requests.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i].logprob, b[i].logprob, 1e-4) << i;
    EXPECT_EQ(a[i].text, b[i].text) << i;
  }
  EXPECT_EQ(a[1].logprob, a[5].logprob);  // the duplicate gets the same answer
  EXPECT_LT(a[1].logprob, 0);
  EXPECT_LT(a[3].logprob, 0);
  EXPECT_GT(a[3].tokens, 0);
  // Each text request equals the model scored directly (lm-eval's encoding, no BOS).
  auto direct = tiny()->loglikelihood(
      {model::encode_pair(tiny()->tokenizer(), "Two plus two is", " four", false)}, 1)[0];
  EXPECT_NEAR(a[4].logprob, direct.logprob, 1e-5);
}

class RowCollector : public model::RoutingSink {
 public:
  void on_routing(const model::RoutingEvent& e) override {
    for (int64_t b = 0; b < e.batch; ++b) rows.insert(e.row_request[b]);
  }
  std::set<int64_t> rows;
};

TEST(Engine, RoutingRowsAreCallerIndices) {
  EngineOptions options;
  options.show_progress = false;
  auto requests = mixed_requests();
  RowCollector rows;
  Engine(tiny(), options).run(requests, "test", &rows);
  // Every request reports routing, except the duplicate (5): it is scored
  // under its first occurrence (1).
  EXPECT_EQ(rows.rows, (std::set<int64_t>{0, 1, 2, 3, 4, 6}));
}

TEST(Engine, RejectsNegativeBatchSize) {
  EngineOptions options;
  options.batch_size = -2;
  EXPECT_THROW(Engine(tiny(), options), InputError);
}

}  // namespace
}  // namespace moebench::engine

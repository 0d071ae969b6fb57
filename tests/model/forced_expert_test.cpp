// Oracle routing: a model forced to one expert computes exactly the dense
// model whose MLP is that expert, while the router tap keeps reporting top_k
// entries per token (the forced expert first at weight 1, then the router's
// own next choices at weight 0).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"
#include "tests/testing/tiny_models.h"

namespace moebench::model {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::shared_ptr<LanguageModel> tiny_mixtral() {
  static auto lm = LanguageModel::load(testing::tiny_model_dir({}, "mixtral"));
  return lm;
}

// The dense model built by hand from the weights: every layer's MLP is
// `expert`'s, and no layer has a router (so Transformer takes its dense path).
std::shared_ptr<LanguageModel> dense_with_expert(const LanguageModel& lm, int expert) {
  auto w = std::make_shared<ModelWeights>(lm.runtime().transformer().weights());
  for (LayerWeights& layer : w->layers) {
    layer.router = at::Tensor();
    layer.experts = {layer.experts[expert]};
  }
  return std::make_shared<LanguageModel>(
      std::make_unique<TransformerRuntime>(std::move(w), lm.runtime().tokenizer_ptr()));
}

std::vector<int32_t> some_ids(int n) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> id(3, 511);
  std::vector<int32_t> out{1};
  for (int i = 1; i < n; ++i) out.push_back(id(rng));
  return out;
}

class Collect : public RoutingSink {
 public:
  bool wants_probabilities() const override { return true; }
  void on_routing(const RoutingEvent& e) override {
    ++events;
    const int64_t n = e.batch * e.seq, k = e.top_k, E = e.num_experts;
    for (int64_t row = 0; row < n; ++row) {
      if (!e.valid[row]) continue;
      ids.emplace_back(e.expert_ids + row * k, e.expert_ids + (row + 1) * k);
      weights.emplace_back(e.weights + row * k, e.weights + (row + 1) * k);
      probabilities.emplace_back(e.probabilities + row * E, e.probabilities + (row + 1) * E);
    }
  }
  int events = 0;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::vector<float>> weights, probabilities;
};

TEST(ForcedExpert, LogitsEqualTheDenseModelOfThatExpert) {
  const auto lm = tiny_mixtral();
  const auto ids = some_ids(24);
  const auto routed = lm->logits(ids);
  for (int expert = 0; expert < lm->config().num_experts; ++expert) {
    const auto forced = lm->with_forced_expert(expert, "tiny-mixtral");
    EXPECT_EQ(forced->forced_expert(), expert);
    const auto got = forced->logits(ids);
    const auto want = dense_with_expert(*lm, expert)->logits(ids);
    ASSERT_EQ(got.size(), want.size());
    double max_diff = 0, diff_from_routed = 0;
    for (size_t t = 0; t < got.size(); ++t)
      for (size_t v = 0; v < got[t].size(); ++v) {
        max_diff = std::max(max_diff, double(std::abs(got[t][v] - want[t][v])));
        diff_from_routed = std::max(diff_from_routed, double(std::abs(got[t][v] - routed[t][v])));
      }
    EXPECT_LE(max_diff, 1e-5) << "expert " << expert;
    EXPECT_GT(diff_from_routed, 1e-4) << "expert " << expert << ": forcing changed nothing";
  }
  EXPECT_EQ(lm->forced_expert(), -1);  // the original still routes
}

TEST(ForcedExpert, TapReportsTheForcedExpertFirstThenTheRoutersChoices) {
  const auto lm = tiny_mixtral();
  const int expert = 2;
  const auto ids = some_ids(16);
  Collect tap;
  lm->with_forced_expert(expert, "tiny-mixtral")->logits(ids, &tap);
  const int64_t k = lm->config().experts_per_token;
  EXPECT_EQ(tap.events, lm->config().num_layers);
  ASSERT_EQ(tap.ids.size(), ids.size() * lm->config().num_layers);
  for (size_t t = 0; t < tap.ids.size(); ++t) {
    ASSERT_EQ(static_cast<int64_t>(tap.ids[t].size()), k);
    EXPECT_EQ(tap.ids[t][0], expert);
    EXPECT_EQ(tap.weights[t][0], 1.0f);
    // The rest: the router's ranking without the forced expert, at weight 0.
    std::vector<int32_t> order(tap.probabilities[t].size());
    for (size_t e = 0; e < order.size(); ++e) order[e] = static_cast<int32_t>(e);
    order.erase(order.begin() + expert);
    const auto& p = tap.probabilities[t];
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return p[a] > p[b]; });
    for (int64_t j = 1; j < k; ++j) {
      EXPECT_EQ(tap.ids[t][j], order[j - 1]) << "token " << t << " slot " << j;
      EXPECT_EQ(tap.weights[t][j], 0.0f);
    }
  }
}

TEST(ForcedExpert, RoutersReplacedLaterKeepTheModelForced) {
  const auto lm = tiny_mixtral();
  const auto& c = lm->config();
  std::vector<float> routers(c.num_layers * c.num_experts * c.hidden_size, 0.5f);
  const auto forced = lm->with_forced_expert(1, "tiny-mixtral");
  const auto ids = some_ids(8);
  EXPECT_EQ(forced->with_routers(routers)->forced_expert(), 1);
  EXPECT_EQ(forced->with_routers(routers)->logits(ids), forced->logits(ids));
}

TEST(ForcedExpert, RefusesAnIndexOutsideTheExpertsAndADenseModel) {
  const auto lm = tiny_mixtral();
  const auto message = [](const LanguageModel& m, int expert) -> std::string {
    try {
      m.with_forced_expert(expert, "my-merge");
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(message(*lm, 4), AllOf(HasSubstr("my-merge"), HasSubstr("expert 4"), HasSubstr("0 to 3")));
  EXPECT_THAT(message(*lm, -1), AllOf(HasSubstr("my-merge"), HasSubstr("expert -1")));
  TinyModelSpec spec;
  spec.arch = "llama";
  const auto dense = LanguageModel::load(testing::tiny_model_dir(spec, "llama"));
  EXPECT_THAT(message(*dense, 0), AllOf(HasSubstr("my-merge"), HasSubstr("expert 0"), HasSubstr("dense")));
}

}  // namespace
}  // namespace moebench::model

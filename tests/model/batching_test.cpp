// Batched scoring and generation give what one sequence at a time gives, and
// the KV cache agrees with full recomputation.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <tuple>

#include <nlohmann/json.hpp>

#include "harness/model/language_model.h"
#include "tests/testing/test_env.h"
#include "tests/testing/tiny_models.h"

namespace moebench::model {
namespace {

std::shared_ptr<LanguageModel> tiny_mixtral() {
  static auto lm = LanguageModel::load(testing::tiny_model_dir({}, "mixtral"));
  return lm;
}

std::vector<int32_t> random_ids(std::mt19937& rng, int n, int vocab) {
  std::uniform_int_distribution<int> id(3, vocab - 1);
  std::vector<int32_t> out{1};  // BOS
  for (int i = 1; i < n; ++i) out.push_back(id(rng));
  return out;
}

std::vector<LoglikelihoodRequest> mixed_length_pairs(int count, int vocab) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> ctx_len(1, 60), cont_len(1, 8);
  std::vector<LoglikelihoodRequest> pairs;
  for (int i = 0; i < count; ++i) {
    auto cont = random_ids(rng, cont_len(rng) + 1, vocab);
    cont.erase(cont.begin());
    if (cont.empty()) cont.push_back(7);
    pairs.push_back({random_ids(rng, ctx_len(rng), vocab), cont});
  }
  // A few continuations that are the model's own greedy choice, so that
  // identical greedy flags are not trivially all false.
  auto lm = tiny_mixtral();
  for (int i = 0; i < 4; ++i) {
    auto gen = lm->generate({{pairs[i].context, 3, {}}}, 1)[0];
    if (!gen.tokens.empty()) pairs[i].continuation = gen.tokens;
  }
  return pairs;
}

TEST(Batching, ScoresDoNotDependOnBatchComposition) {
  auto lm = tiny_mixtral();
  auto pairs = mixed_length_pairs(32, static_cast<int>(lm->config().vocab_size));
  auto one = lm->loglikelihood(pairs, 1);
  auto all = lm->loglikelihood(pairs, 32);
  auto ragged = lm->loglikelihood(pairs, 7);
  int greedy = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_NEAR(one[i].logprob, all[i].logprob, 1e-4) << "pair " << i;
    EXPECT_NEAR(one[i].logprob, ragged[i].logprob, 1e-4) << "pair " << i;
    EXPECT_EQ(one[i].is_greedy, all[i].is_greedy) << "pair " << i;
    EXPECT_EQ(one[i].is_greedy, ragged[i].is_greedy) << "pair " << i;
    greedy += one[i].is_greedy;
  }
  EXPECT_GE(greedy, 4);
}

TEST(Batching, LoglikelihoodEqualsLogSoftmaxOfLogits) {
  auto lm = tiny_mixtral();
  LoglikelihoodRequest r{{1, 40, 41, 42}, {43, 44}};
  auto res = lm->loglikelihood({r}, 1)[0];
  auto logits = lm->logits({1, 40, 41, 42, 43});
  double expected = 0;
  for (int t : {3, 4}) {
    const auto& row = logits[t];
    double mx = *std::max_element(row.begin(), row.end()), sum = 0;
    for (float v : row) sum += std::exp(v - mx);
    expected += row[r.continuation[t - 3]] - mx - std::log(sum);
  }
  EXPECT_NEAR(res.logprob, expected, 1e-5);
  ASSERT_EQ(res.token_logprobs.size(), 2u);
}

TEST(Batching, GenerationMatchesRecomputationAndBatchSize) {
  auto lm = tiny_mixtral();
  std::mt19937 rng(7);
  std::vector<GenerationRequest> requests;
  for (int n : {3, 17, 1, 9, 30, 5, 12, 2}) {
    requests.push_back({random_ids(rng, n, static_cast<int>(lm->config().vocab_size)), 12, {}});
  }
  auto one = lm->generate(requests, 1);
  auto batched = lm->generate(requests, 8);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(one[i].tokens, batched[i].tokens) << "request " << i;
    // Without a cache: the argmax after prompt + generated[:t] is generated[t].
    std::vector<int32_t> seq = requests[i].prompt;
    seq.insert(seq.end(), one[i].tokens.begin(), one[i].tokens.end());
    auto logits = lm->logits(seq);
    for (size_t t = 0; t < one[i].tokens.size(); ++t) {
      const auto& row = logits[requests[i].prompt.size() - 1 + t];
      int32_t argmax = static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
      EXPECT_EQ(argmax, one[i].tokens[t]) << "request " << i << " step " << t;
    }
  }
}

TEST(Batching, StopSequencesCutTheText) {
  auto lm = tiny_mixtral();
  auto free_run = lm->generate({{{1, 50}, 20, {}}}, 1)[0];
  ASSERT_GE(free_run.text.size(), 3u);
  std::string stop = free_run.text.substr(free_run.text.size() / 2, 2);
  auto stopped = lm->generate({{{1, 50}, 20, {stop}}}, 1)[0];
  EXPECT_EQ(stopped.stop_reason, "stop");
  EXPECT_EQ(stopped.text, free_run.text.substr(0, free_run.text.find(stop)));
}

// lm-eval stops on a stop sequence as the text reads with special tokens
// spelled out ("<|im_end|>"), and returns the text with them left out.
TEST(Batching, StopSequenceSpellingASpecialTokenEndsGeneration) {
  const std::filesystem::path source = testing::tiny_model_dir({}, "mixtral");
  auto free_run = tiny_mixtral()->generate({{{1, 50}, 20, {}}}, 1)[0];
  // The first generated token that is new at its step becomes "special".
  size_t step = 1;
  while (step < free_run.tokens.size() &&
         std::count(free_run.tokens.begin(), free_run.tokens.begin() + step, free_run.tokens[step]))
    ++step;
  ASSERT_LT(step, free_run.tokens.size());
  const int32_t special = free_run.tokens[step];
  const std::string spelling = tiny_mixtral()->tokenizer().id_to_piece(special);

  moebench::testing::ScratchDir dir;
  for (const auto& entry : std::filesystem::directory_iterator(source))
    std::filesystem::copy(entry.path(), dir.path() / entry.path().filename());
  nlohmann::json config;
  config["added_tokens_decoder"][std::to_string(special)] = {{"content", spelling}, {"special", true}};
  moebench::testing::write_text(dir.path() / "tokenizer_config.json", config.dump());
  auto lm = LanguageModel::load(dir.path());
  auto stopped = lm->generate({{{1, 50}, 20, {spelling}}}, 1)[0];
  EXPECT_EQ(stopped.stop_reason, "stop");
  const std::vector<int32_t> before(free_run.tokens.begin(), free_run.tokens.begin() + step);
  EXPECT_EQ(stopped.text, lm->tokenizer().decode(before));
  EXPECT_EQ(stopped.text, tiny_mixtral()->tokenizer().decode(before));
  // Without the stop sequence it runs on, the special token left out of the text.
  auto unstopped = lm->generate({{{1, 50}, 20, {}}}, 1)[0];
  EXPECT_EQ(unstopped.tokens, free_run.tokens);
  EXPECT_EQ(unstopped.text.find(spelling), std::string::npos);
}

TEST(Batching, RollingLoglikelihoodIsBosThenEveryToken) {
  auto lm = tiny_mixtral();
  std::vector<int32_t> toks{40, 41, 42, 43, 44, 45};
  double rolling = lm->loglikelihood_rolling({toks}, 4)[0];
  double direct = lm->loglikelihood({{{1}, toks}}, 1)[0].logprob;
  EXPECT_NEAR(rolling, direct, 1e-5);
}

// A tiny Mixtral with a 16-token context, and a text that needs 3 windows of it.
std::shared_ptr<LanguageModel> ctx16_mixtral() {
  TinyModelSpec spec;
  spec.max_position_embeddings = 16;
  static auto lm = LanguageModel::load(testing::tiny_model_dir(spec, "mixtral-ctx16"));
  return lm;
}
std::vector<int32_t> forty_tokens() {
  std::mt19937 rng(3);
  auto toks = random_ids(rng, 41, 400);
  toks.erase(toks.begin());  // no BOS
  return toks;
}

TEST(Batching, RollingWindowsCoverLongTextsOnce) {
  auto lm = ctx16_mixtral();
  const std::vector<int32_t> toks = forty_tokens();
  // Windows: [BOS]+t[0:15) → t[0:16); t[15:31) → t[16:32); t[23:39) → t[32:40).
  double expected = lm->loglikelihood({{{1}, {toks.begin(), toks.begin() + 16}}}, 1)[0].logprob;
  expected += lm->loglikelihood({{{toks.begin(), toks.begin() + 16}, {toks.begin() + 16, toks.begin() + 32}}}, 1)[0].logprob;
  expected += lm->loglikelihood({{{toks.begin() + 16, toks.begin() + 32}, {toks.begin() + 32, toks.end()}}}, 1)[0].logprob;
  EXPECT_NEAR(lm->loglikelihood_rolling({toks}, 2)[0], expected, 1e-4);
}

// Routing of texts scored in rolling windows: each position of [BOS] + text
// (but the last, which predicts nothing) reported once, under the text, by
// the window whose hidden state there scores the next token, with the routing
// of a plain forward pass over that window's input.
TEST(Batching, RollingWindowsReportEachPositionOnce) {
  auto lm = ctx16_mixtral();
  const std::vector<int32_t> toks = forty_tokens();
  const std::vector<int32_t> short_text{40, 41, 42, 43, 44};  // one window, beside the long text's first
  struct Collector : RoutingSink {
    // (request, layer, position) -> first expert of each report
    std::map<std::tuple<int64_t, int, int64_t>, std::vector<int32_t>> seen;
    void on_routing(const RoutingEvent& e) override {
      for (int64_t b = 0; b < e.batch; ++b)
        for (int64_t t = b * e.seq; t < (b + 1) * e.seq; ++t)
          if (e.valid[t]) seen[{e.row_request[b], e.layer, e.positions[t]}].push_back(e.expert_ids[t * e.top_k]);
    }
  } rolling;
  lm->loglikelihood_rolling({short_text, toks}, 4, &rolling);
  const int layers = static_cast<int>(lm->config().num_layers);
  ASSERT_EQ(rolling.seen.size(), static_cast<size_t>(layers * (5 + 40)));
  for (const auto& [key, reports] : rolling.seen) {
    const auto [text, layer, position] = key;
    EXPECT_LT(position, text == 0 ? 5 : 40);
    EXPECT_EQ(reports.size(), 1u) << "text " << text << " layer " << layer << " position " << position;
  }
  // Windows of the long text (as in RollingWindowsCoverLongTextsOnce):
  // [BOS]+t[0:15) reports positions 0..15; t[15:31) reports 16..31; t[23:39)
  // reports 32..39 (its first 8 inputs are context already reported).
  struct Window {
    int64_t text;
    std::vector<int32_t> input;
    int64_t offset, first_new;
  };
  std::vector<int32_t> first{1}, short_input{1};
  first.insert(first.end(), toks.begin(), toks.begin() + 15);
  short_input.insert(short_input.end(), short_text.begin(), short_text.end() - 1);
  const Window windows[] = {{0, short_input, 0, 0},
                            {1, first, 0, 0},
                            {1, {toks.begin() + 15, toks.begin() + 31}, 16, 16},
                            {1, {toks.begin() + 23, toks.begin() + 39}, 24, 32}};
  for (const Window& w : windows) {
    Collector direct;
    lm->logits(w.input, &direct);
    for (int layer = 0; layer < layers; ++layer)
      for (int64_t p = w.first_new - w.offset; p < static_cast<int64_t>(w.input.size()); ++p) {
        const std::tuple<int64_t, int, int64_t> key{w.text, layer, p + w.offset}, plain{0, layer, p};
        EXPECT_EQ(rolling.seen[key], direct.seen.at(plain)) << w.text << " " << layer << " " << p;
      }
  }
}

TEST(Batching, V5LayoutComputesTheSameModel) {
  TinyModelSpec v5;
  v5.layout = "v5";
  auto a = tiny_mixtral()->logits({1, 5, 9, 200, 17});
  auto b = LanguageModel::load(testing::tiny_model_dir(v5, "mixtral-v5"))->logits({1, 5, 9, 200, 17});
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace moebench::model

namespace moebench::model {
namespace {

TEST(SharedContext, MultipleChoiceEqualsOneRequestAtATime) {
  auto lm = tiny_mixtral();
  std::mt19937 rng(9);
  std::vector<LoglikelihoodRequest> requests;
  for (int group = 0; group < 5; ++group) {
    auto context = random_ids(rng, 5 + 9 * group, 512);
    for (int choice = 0; choice < 4; ++choice) {
      auto cont = random_ids(rng, 1 + (choice + group) % 5, 512);  // 0..4 tokens after BOS
      cont[0] = 17 + choice;                                         // no BOS inside
      requests.push_back({context, cont});
    }
  }
  // The model's own greedy continuation as one choice, so greedy flags matter.
  auto gen = lm->generate({{requests[0].context, 2, {}}}, 1)[0];
  if (!gen.tokens.empty()) requests[1].continuation = gen.tokens;
  auto together = lm->loglikelihood(requests, 3);
  for (size_t i = 0; i < requests.size(); ++i) {
    auto alone = lm->loglikelihood({requests[i]}, 1)[0];
    EXPECT_NEAR(together[i].logprob, alone.logprob, 1e-4) << "request " << i;
    EXPECT_EQ(together[i].is_greedy, alone.is_greedy) << "request " << i;
    ASSERT_EQ(together[i].token_logprobs.size(), alone.token_logprobs.size());
  }
  EXPECT_EQ(together[1].is_greedy, !gen.tokens.empty());
}

}  // namespace
}  // namespace moebench::model

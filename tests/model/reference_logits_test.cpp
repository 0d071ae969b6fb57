// Logits, routing and greedy text against golden outputs of independent
// implementations (llama.cpp; see ../shared/reference/README.md).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "harness/model/language_model.h"
#include "tests/testing/test_env.h"

namespace moebench::model {
namespace {

using moebench::testing::shared_dir;

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

struct LogitsCase {
  std::string model, sequence;
  double atol;
};

void PrintTo(const LogitsCase& c, std::ostream* os) { *os << c.model << "/" << c.sequence; }

class ReferenceLogits : public ::testing::TestWithParam<LogitsCase> {};

TEST_P(ReferenceLogits, MatchesLlamaCppAtEveryPosition) {
  MOEBENCH_REQUIRE_SHARED();
  const LogitsCase& c = GetParam();
  const auto ref_dir = shared_dir() / "reference";
  std::string golden_model = c.model == "tiny-mixtral-sharded" ? "tiny-mixtral" : c.model;
  auto golden = read_json(ref_dir / "logits" / (golden_model + "__" + c.sequence + ".json"));
  auto lm = LanguageModel::load(ref_dir / "models" / c.model);
  auto tokens = golden["tokens"].get<std::vector<int32_t>>();
  auto logits = lm->logits(tokens);
  ASSERT_EQ(logits.size(), tokens.size());
  double max_diff = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    const auto& ref = golden["logits"][t];
    ASSERT_EQ(logits[t].size(), ref.size());
    size_t argmax = 0, ref_argmax = 0;
    for (size_t v = 0; v < ref.size(); ++v) {
      const double r = ref[v].get<double>();
      max_diff = std::max(max_diff, std::abs(logits[t][v] - r));
      if (logits[t][v] > logits[t][argmax]) argmax = v;
      if (r > ref[ref_argmax].get<double>()) ref_argmax = v;
    }
    EXPECT_EQ(argmax, ref_argmax) << "position " << t;
  }
  EXPECT_LE(max_diff, c.atol) << c.model << " " << c.sequence;
  RecordProperty("max_abs_diff", std::to_string(max_diff));
}

std::vector<LogitsCase> logits_cases() {
  std::vector<LogitsCase> cases;
  for (std::string seq : {"short16", "long64", "random32"}) {
    for (std::string m : {"tiny-llama", "tiny-mistral", "tiny-mixtral", "tiny-mixtral-sharded"}) {
      cases.push_back({m, seq, 1e-5});
    }
    cases.push_back({"stories260K", seq, 1e-4});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllModels, ReferenceLogits, ::testing::ValuesIn(logits_cases()),
                         [](const auto& info) {
                           std::string name = info.param.model + "_" + info.param.sequence;
                           for (char& ch : name) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

// Records every routing event of a single sequence.
class RoutingRecorder : public RoutingSink {
 public:
  bool wants_probabilities() const override { return true; }
  void on_routing(const RoutingEvent& e) override { events.push_back(copy(e)); }
  struct Copy {
    int layer;
    int64_t seq, top_k, num_experts;
    std::vector<int32_t> ids;
    std::vector<float> weights, probs;
  };
  std::vector<Copy> events;

 private:
  static Copy copy(const RoutingEvent& e) {
    const int64_t n = e.batch * e.seq;
    return {e.layer, e.seq, e.top_k, e.num_experts,
            std::vector<int32_t>(e.expert_ids, e.expert_ids + n * e.top_k),
            std::vector<float>(e.weights, e.weights + n * e.top_k),
            std::vector<float>(e.probabilities, e.probabilities + n * e.num_experts)};
  }
};

TEST(ReferenceRouting, TinyMixtralTopKWeightsAndProbabilities) {
  MOEBENCH_REQUIRE_SHARED();
  const auto ref_dir = shared_dir() / "reference";
  auto golden = read_json(ref_dir / "logits" / "tiny-mixtral__routing.json");
  auto lm = LanguageModel::load(ref_dir / "models" / "tiny-mixtral");
  for (const auto& [name, seq] : golden["sequences"].items()) {
    RoutingRecorder recorder;
    auto tokens = seq["tokens"].get<std::vector<int32_t>>();
    lm->logits(tokens, &recorder);
    ASSERT_EQ(recorder.events.size(), 3u);
    for (const auto& e : recorder.events) {
      for (size_t t = 0; t < tokens.size(); ++t) {
        for (int64_t k = 0; k < e.top_k; ++k) {
          EXPECT_EQ(e.ids[t * e.top_k + k], seq["top_experts"][t][e.layer][k].get<int>())
              << name << " position " << t << " layer " << e.layer;
          const double w = seq["top_weights"][t][e.layer][k].get<double>();
          EXPECT_NEAR(e.weights[t * e.top_k + k], w, 1e-5 * std::abs(w) + 1e-7);
        }
        for (int64_t x = 0; x < e.num_experts; ++x) {
          const double p = seq["router_probs_fp32"][t][e.layer][x].get<double>();
          EXPECT_NEAR(e.probs[t * e.num_experts + x], p, 1e-5 * std::abs(p) + 1e-7);
        }
      }
    }
  }
}

TEST(ReferenceGreedy, Stories260KReproducesGoldenText) {
  MOEBENCH_REQUIRE_SHARED();
  const auto ref_dir = shared_dir() / "reference";
  auto golden = read_json(ref_dir / "logits" / "stories260K__greedy200.json");
  auto expected = golden["generated_tokens"].get<std::vector<int32_t>>();
  auto lm = LanguageModel::load(ref_dir / "models" / "stories260K");
  GenerationRequest request{{1}, static_cast<int>(expected.size()), {}};
  auto result = lm->generate({request}, 1)[0];
  EXPECT_EQ(result.tokens, expected);
  EXPECT_EQ(result.stop_reason, "length");
  EXPECT_EQ(result.text, golden["generated_text"].get<std::string>());

  auto golden40 = read_json(ref_dir / "logits" / "stories260K__greedy40.json");
  auto result40 = lm->generate({{{1}, 40, {}}}, 1)[0];
  EXPECT_EQ(result40.tokens, golden40["generated_tokens"].get<std::vector<int32_t>>());
}

}  // namespace
}  // namespace moebench::model

// Every metric against values computed by hand from its definition.
#include "harness/eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "harness/util/error.h"

namespace moebench::eval {
namespace {

TEST(PassAtK, UnbiasedEstimatorByHand) {
  // 1 - prod_{i=n-c+1..n} (1 - k/i)
  EXPECT_NEAR(pass_at_k(10, 3, 1), 1 - (7.0 / 8) * (8.0 / 9) * (9.0 / 10), 1e-15);  // = 0.3
  EXPECT_NEAR(pass_at_k(10, 3, 1), 0.3, 1e-12);
  EXPECT_NEAR(pass_at_k(10, 3, 5), 1 - (3.0 / 8) * (4.0 / 9) * (5.0 / 10), 1e-15);  // 11/12
  EXPECT_NEAR(pass_at_k(10, 3, 5), 11.0 / 12, 1e-12);
  // 1 - C(16,10)/C(20,10) = 1 - 8008/184756
  EXPECT_NEAR(pass_at_k(20, 4, 10), 1 - 8008.0 / 184756, 1e-12);
  EXPECT_EQ(pass_at_k(10, 8, 5), 1.0);  // n - c < k: every k-subset holds a pass
  EXPECT_EQ(pass_at_k(5, 0, 1), 0.0);
  EXPECT_EQ(pass_at_k(1, 1, 1), 1.0);
  EXPECT_EQ(pass_at_k(1, 0, 1), 0.0);
  EXPECT_NEAR(pass_at_k(200, 37, 1), 37.0 / 200, 1e-12);  // pass@1 = c/n
}

TEST(ChoiceMetrics, AccNormCountsCodePointsAccBytesCountsBytes) {
  // "é" is 1 code point, 2 bytes; "ab" 2 of each.
  const std::vector<std::string> choices = {"\xC3\xA9", "ab"};
  const auto p = predict_choice({-1.5, -2.0}, choices);
  EXPECT_EQ(p.acc, 0u);        // -1.5 > -2.0
  EXPECT_EQ(p.acc_norm, 1u);   // -1.5/1 < -2.0/2
  EXPECT_EQ(p.acc_bytes, 0u);  // -1.5/2 > -2.0/2
  // The bare choice is measured, not target_delimiter + choice, and not stripped.
  EXPECT_EQ(predict_choice({-3.0, -2.0}, {" abc ", "ab"}).acc_norm, 0u);  // -3/5 > -2/2
}

TEST(ChoiceMetrics, ArgmaxTiesGoToTheFirst) {
  EXPECT_EQ(argmax({-1.0, -1.0, -2.0}), 0u);
  EXPECT_EQ(argmax({-3.0, -1.0, -1.0}), 1u);
  EXPECT_EQ(argmax({-1.0, NAN, 0.0}), 1u);  // numpy: NaN is the maximum
}

TEST(Mc2, NormalisedMassOfTrueAnswers) {
  // p = exp(ll) / sum exp(ll); true mass = (e^0 + e^-1) / (e^0 + e^-1 + e^-2)
  const double expected = (1 + std::exp(-1.0)) / (1 + std::exp(-1.0) + std::exp(-2.0));
  EXPECT_NEAR(mc2_score({-1.0, -2.0, -3.0}, {1, 1, 0}), expected, 1e-12);
  // Far below -745 every exp() underflows to 0: the naive form gives 0/0 = NaN.
  const double deep = mc2_score({-1000.0, -1001.0, -1002.0}, {1, 1, 0});
  EXPECT_FALSE(std::isnan(deep));
  EXPECT_NEAR(deep, expected, 1e-12);
  // Labels need not be sorted (v3.0 sums every option labelled 1).
  EXPECT_NEAR(mc2_score({-2.0, -1.0}, {0, 1}), 1 / (1 + std::exp(-1.0)), 1e-12);
  EXPECT_EQ(mc2_score({-5.0, -5.0}, {0, 0}), 0.0);
  EXPECT_TRUE(std::isnan(mc2_score({-INFINITY, -INFINITY}, {1, 0})));
}

TEST(RougeL, LcsFMeasureWithRougeScoreTokenizer) {
  // [the cat sat on the mat] vs [the cat is on the mat]: LCS 5, P = R = 5/6.
  EXPECT_NEAR(rouge_l("The cat sat on the mat.", "the cat is on the mat"), 5.0 / 6, 1e-12);
  // LCS 2 of 4 reference / 2 prediction tokens: P 1, R 1/2, F 2/3.
  EXPECT_NEAR(rouge_l("a b c d", "a c"), 2.0 / 3, 1e-12);
  EXPECT_EQ(rouge_l("Hello, World!", "hello   world"), 1.0);
  EXPECT_EQ(rouge_l("", "anything"), 0.0);
  EXPECT_EQ(rouge_l("anything", "..."), 0.0);
  // Non-ASCII letters separate tokens (rouge_score keeps [a-z0-9] only).
  EXPECT_EQ(rouge_tokenize("Caf\xC3\xA9 au-lait 42x"),
            (std::vector<std::string>{"caf", "au", "lait", "42x"}));
  EXPECT_EQ(rouge_tokenize("\xE2\x84\xAA"), std::vector<std::string>{"k"});  // KELVIN SIGN
}

MetricSpec gsm8k_exact_match() {
  MetricSpec m;
  m.metric = "exact_match";
  m.ignore_case = true;
  m.regexes_to_ignore = {",", R"(\$)", "(?s).*#### ", R"(\.$)"};
  return m;
}

TEST(ExactMatch, Gsm8kRulesCompareStrings) {
  ExactMatch em(gsm8k_exact_match(), "t");
  const std::string gold = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n#### 1,800";
  EXPECT_EQ(em.score("1800", gold), 1.0);
  EXPECT_EQ(em.score("$1,800.", gold), 1.0);
  EXPECT_EQ(em.score("1800.0", gold), 0.0);  // strings, not numbers: 1800.0 != 1800
  EXPECT_EQ(em.score("[invalid]", gold), 0.0);
  EXPECT_EQ(em.normalize("A\n#### B"), "b");  // (?s): .* crosses newlines
}

TEST(ExactMatch, CaseAndPunctuation) {
  MetricSpec m;
  m.metric = "exact_match";
  EXPECT_EQ(ExactMatch(m, "t").score("Paris", "paris"), 0.0);
  m.ignore_case = true;
  EXPECT_EQ(ExactMatch(m, "t").score("Paris", "paris"), 1.0);
  m.ignore_punctuation = true;
  EXPECT_EQ(ExactMatch(m, "t").score("Paris!", "paris"), 1.0);
  m.regexes_to_ignore = {"(?<=x)"};
  EXPECT_THROW(ExactMatch(m, "spec.yaml: metric_list[0]"), InputError);
}

TEST(Aggregation, MeanAndSampleStderr) {
  // mean 0.75; sample variance (3 * 0.25^2 + 0.75^2) / 3 = 0.25; stderr 0.5 / 2
  EXPECT_DOUBLE_EQ(mean({1, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(mean_stderr({1, 0, 1, 1}), 0.25);
  EXPECT_NEAR(mean_stderr({2, 4, 9}), std::sqrt(13.0) / std::sqrt(3.0), 1e-12);
  EXPECT_TRUE(std::isnan(mean_stderr({1})));
  EXPECT_TRUE(std::isnan(mean_stderr({})));
  // pooled: sqrt(((9 * 0.01 * 10) + (29 * 0.04 * 30)) / (40 - 2) / 40)
  EXPECT_NEAR(pooled_stderr({0.1, 0.2}, {10, 30}), std::sqrt((0.9 + 34.8) / 38 / 40), 1e-12);
}

}  // namespace
}  // namespace moebench::eval

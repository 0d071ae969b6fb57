// The report's paired statistics. Every expected number is computed by hand
// or by an independent exact computation named beside it; the bootstrap,
// whose draws depend on the standard library, is checked by properties that
// hold for any correct resampler.
#include "reports/paired_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace moebench::reports {
namespace {

// ---- mean_ci ----

TEST(PairedStatsMeanCI, MeanStderrAndHalfWidthByHand) {
  // mean 3/4; deviations .25, -.75, .25, .25 -> squares sum .75, / (n-1) = .25,
  // sd .5, stderr .5 / sqrt(4) = .25, half width 1.959963984540054 * .25.
  const MeanCI ci = mean_ci({1, 0, 1, 1});
  EXPECT_EQ(ci.n, 4);
  EXPECT_DOUBLE_EQ(ci.mean, 0.75);
  EXPECT_DOUBLE_EQ(ci.stderr_, 0.25);
  EXPECT_NEAR(ci.half_width, 0.48999099613, 1e-11);
}

TEST(PairedStatsMeanCI, TooFewValuesHaveNoStderr) {
  const MeanCI one = mean_ci({0.3});
  EXPECT_EQ(one.n, 1);
  EXPECT_DOUBLE_EQ(one.mean, 0.3);
  EXPECT_TRUE(std::isnan(one.stderr_));
  EXPECT_TRUE(std::isnan(one.half_width));
  const MeanCI none = mean_ci({});
  EXPECT_EQ(none.n, 0);
  EXPECT_TRUE(std::isnan(none.mean));
  EXPECT_TRUE(std::isnan(none.stderr_));
}

TEST(PairedStatsMeanCI, HalfWidthIsZ95TimesStderr) {
  EXPECT_DOUBLE_EQ(ci95_half_width(1.0), 1.959963984540054);
  EXPECT_DOUBLE_EQ(ci95_half_width(0.0), 0.0);
  EXPECT_TRUE(std::isnan(ci95_half_width(NAN)));
}

// ---- mcnemar_exact_p ----

TEST(PairedStatsMcNemar, SmallCasesExactByHand) {
  // 2 * (C(10,0) + C(10,1)) / 2^10 = 22 / 1024, exact in binary.
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(1, 9), 0.021484375);
  // 2 * C(5,0) / 2^5 = 2 / 32.
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(0, 5), 0.0625);
  // 2 * (C(6,0)) / 2^6 = 2 / 64.
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(6, 0), 0.03125);
}

TEST(PairedStatsMcNemar, NoEvidenceGivesOne) {
  EXPECT_EQ(mcnemar_exact_p(0, 0), 1.0);  // no discordant pairs
  EXPECT_EQ(mcnemar_exact_p(7, 7), 1.0);  // 2 * P[X <= 7], X ~ Bin(14, 1/2) > 1: capped
  EXPECT_EQ(mcnemar_exact_p(7, 8), 1.0);  // 2 * P[X <= 7], X ~ Bin(15, 1/2) = 2 * 1/2
  // 2 * P[X <= 1], X ~ Bin(3, 1/2) = 2 * 4/8 = 1.
  EXPECT_EQ(mcnemar_exact_p(1, 2), 1.0);
}

// Exact references, from Python's integers (the float of an exact Fraction is
// correctly rounded):
//   python3 -c "from fractions import Fraction; from math import comb;
//     b, c = 40, 60; n = b + c;
//     print(repr(float(min(1, 2 * Fraction(sum(comb(n, k) for k in range(min(b, c) + 1)), 2**n)))))"
// with (b, c) as in each case below.
TEST(PairedStatsMcNemar, LargeCasesMatchExactRationalArithmetic) {
  const struct {
    int64_t b, c;
    double p;
  } cases[] = {
      {40, 60, 0.05688793364098079},
      {45, 55, 0.36820161732669626},
      {4900, 5100, 0.04658552770494739},
      {49500, 50500, 0.0015823598788515956},  // b + c = 100000
      {3, 1000, 3.923720417925807e-294},      // near the bottom of double's range
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(std::to_string(k.b) + ", " + std::to_string(k.c));
    EXPECT_NEAR(mcnemar_exact_p(k.b, k.c), k.p, 1e-12 * k.p);
    EXPECT_EQ(mcnemar_exact_p(k.b, k.c), mcnemar_exact_p(k.c, k.b));
  }
}

TEST(PairedStatsMcNemar, UnderflowGivesZeroNotGarbage) {
  // 2 * 31 * C(100030, 30) / 2^100030-ish: far below the smallest double.
  EXPECT_EQ(mcnemar_exact_p(30, 100000), 0.0);
}

TEST(PairedStatsMcNemar, NegativeCountsThrow) {
  EXPECT_THROW(mcnemar_exact_p(-1, 3), std::invalid_argument);
  EXPECT_THROW(mcnemar_exact_p(3, -1), std::invalid_argument);
}

// ---- quantile_linear ----

TEST(PairedStatsQuantile, NumpyLinearDefinitionByHand) {
  // numpy.quantile, method="linear": position (n - 1) q between order
  // statistics, interpolated linearly.
  const std::vector<double> x = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile_linear(x, 0.25), 1.75);   // position .75
  EXPECT_DOUBLE_EQ(quantile_linear(x, 0.5), 2.5);     // position 1.5
  EXPECT_DOUBLE_EQ(quantile_linear(x, 0.975), 3.925); // position 2.925
  EXPECT_DOUBLE_EQ(quantile_linear(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile_linear(x, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile_linear({7}, 0.3), 7.0);
  EXPECT_DOUBLE_EQ(quantile_linear({0, 10}, 0.025), 0.25);
}

TEST(PairedStatsQuantile, EmptyIsNaNAndOutOfRangeThrows) {
  EXPECT_TRUE(std::isnan(quantile_linear({}, 0.5)));
  EXPECT_THROW(quantile_linear({1, 2}, -0.1), std::invalid_argument);
  EXPECT_THROW(quantile_linear({1, 2}, 1.1), std::invalid_argument);
  EXPECT_THROW(quantile_linear({1, 2}, NAN), std::invalid_argument);
}

// ---- paired_bootstrap ----

TEST(PairedStatsBootstrap, IdenticalScoresGiveZeroDiffAndPOne) {
  const std::vector<double> a = {0.2, 0.9, 0.4, 0.4, 0.75};
  const PairedComparison r = paired_bootstrap(a, a);
  EXPECT_EQ(r.test, "bootstrap");
  EXPECT_EQ(r.n, 5);
  EXPECT_EQ(r.diff, 0.0);
  EXPECT_EQ(r.ci_low, 0.0);
  EXPECT_EQ(r.ci_high, 0.0);
  EXPECT_EQ(r.p, 1.0);  // every resampled difference is 0: both shares are 1
}

TEST(PairedStatsBootstrap, ConstantShiftGivesPointIntervalAndPZero) {
  const std::vector<double> b = {0.2, 0.5, 0.7, 0.3, 0.0, 0.85};
  std::vector<double> a;
  for (double v : b) a.push_back(v + 0.1);
  const PairedComparison r = paired_bootstrap(a, b);
  // Every resample's mean difference is 0.1 (up to a + 0.1 - b's rounding).
  EXPECT_NEAR(r.diff, 0.1, 1e-12);
  EXPECT_NEAR(r.ci_low, 0.1, 1e-12);
  EXPECT_NEAR(r.ci_high, 0.1, 1e-12);
  EXPECT_EQ(r.p, 0.0);  // no resampled difference is <= 0
}

std::vector<double> scores(int n, double phase) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(0.5 + 0.4 * std::sin(1.7 * i + phase));
  return v;
}

TEST(PairedStatsBootstrap, SameSeedReproducesDifferentSeedDiffers) {
  const std::vector<double> a = scores(50, 0.0), b = scores(50, 1.0);
  const PairedComparison r1 = paired_bootstrap(a, b, 42), r2 = paired_bootstrap(a, b, 42);
  EXPECT_EQ(r1.ci_low, r2.ci_low);
  EXPECT_EQ(r1.ci_high, r2.ci_high);
  EXPECT_EQ(r1.p, r2.p);
  const PairedComparison r3 = paired_bootstrap(a, b, 43);
  EXPECT_EQ(r1.diff, r3.diff);  // the point estimate does not resample
  EXPECT_TRUE(r1.ci_low != r3.ci_low || r1.ci_high != r3.ci_high);
}

// Property: the bootstrap distribution of a mean of n iid pairs is close to
// normal with sd = sd(d) / sqrt(n), so its 95% percentile interval has half
// width ~ 1.96 sd(d) / sqrt(n). Here d = 0.05 ± 0.3 alternately (sd 0.3 with
// divisor n; the n - 1 version differs by 0.1%), n = 400: 1.96 * 0.3 / 20
// = 0.0294. 10000 resamples estimate the interval's ends to ~1-2%.
TEST(PairedStatsBootstrap, IntervalMatchesNormalTheoryForLargeN) {
  const int n = 400;
  std::vector<double> a, b;
  for (int i = 0; i < n; ++i) {
    b.push_back(0.25 + 0.5 * ((i * 7) % 11) / 10.0);  // pair-level difficulty, cancels
    a.push_back(b.back() + 0.05 + (i % 2 == 0 ? 0.3 : -0.3));
  }
  const PairedComparison r = paired_bootstrap(a, b);
  const double expected_half = 1.96 * 0.3 / std::sqrt(n);
  EXPECT_NEAR(r.diff, 0.05, 1e-12);
  EXPECT_NEAR((r.ci_high - r.ci_low) / 2, expected_half, 0.1 * expected_half);
  EXPECT_NEAR((r.ci_high + r.ci_low) / 2, 0.05, 0.1 * expected_half);
  // 0.05 / (0.3 / 20) = 3.3 standard errors from 0: p ~ 0.001, well under 0.05.
  EXPECT_LT(r.p, 0.05);
}

// Property: d = {0, 1}. A resample's mean is <= 0 only when both draws pick
// the 0 (probability 1/4) and >= 0 always, so p -> 2 * 1/4 = 0.5. The share's
// sd over 10000 resamples is sqrt(.25 * .75 / 10000) = .0043; 0.04 on p is
// over 4 of its sds (p's sd is .0087).
TEST(PairedStatsBootstrap, PValueIsTwiceTheSmallerTailCountingTies) {
  const PairedComparison r = paired_bootstrap({0.5, 1.0}, {0.5, 0.0});
  EXPECT_NEAR(r.p, 0.5, 0.04);
  EXPECT_DOUBLE_EQ(r.ci_low, 0.0);   // 2.5% quantile: inside the quarter of 0s
  EXPECT_DOUBLE_EQ(r.ci_high, 1.0);  // 97.5%: inside the quarter of 1s
}

TEST(PairedStatsBootstrap, EmptyIsAllNaN) {
  const PairedComparison r = paired_bootstrap({}, {});
  EXPECT_EQ(r.n, 0);
  EXPECT_TRUE(std::isnan(r.mean_a));
  EXPECT_TRUE(std::isnan(r.mean_b));
  EXPECT_TRUE(std::isnan(r.diff));
  EXPECT_TRUE(std::isnan(r.ci_low));
  EXPECT_TRUE(std::isnan(r.ci_high));
  EXPECT_TRUE(std::isnan(r.p));
}

TEST(PairedStatsBootstrap, BadArgumentsThrow) {
  EXPECT_THROW(paired_bootstrap({1, 2}, {1}), std::invalid_argument);
  EXPECT_THROW(paired_bootstrap({1}, {1}, 1234, 0), std::invalid_argument);
}

// ---- paired_compare ----

TEST(PairedStatsCompare, BinaryScoresUseMcNemar) {
  const std::vector<double> a = {1, 1, 1, 0, 1, 0, 1, 1, 1, 1};
  const std::vector<double> b = {0, 0, 1, 0, 0, 0, 0, 0, 1, 0};
  const PairedComparison r = paired_compare(a, b);
  EXPECT_EQ(r.test, "mcnemar");
  EXPECT_EQ(r.n, 10);
  // Pairs (a, b): (1,0) at 0, 1, 4, 6, 7, 9; (1,1) at 2, 8; (0,0) at 3, 5.
  EXPECT_EQ(r.a_only, 6);
  EXPECT_EQ(r.b_only, 0);
  EXPECT_DOUBLE_EQ(r.p, 0.03125);  // 2 * C(6,0) / 2^6
  EXPECT_DOUBLE_EQ(r.mean_a, 0.8);
  EXPECT_DOUBLE_EQ(r.mean_b, 0.2);
  EXPECT_DOUBLE_EQ(r.diff, 0.6);
  // d = six 1s, four 0s: sample variance (6 * .4^2 + 4 * .6^2) / 9 = 2.4 / 9,
  // stderr sqrt(2.4 / 90) = sqrt(2 / 75) = 0.16329931618554522, half width
  // 1.959963984540054 * that = 0.32006077842368735 (python3 -c "import math;
  // print(1.959963984540054 * math.sqrt(2 / 75))").
  EXPECT_NEAR(r.ci_low, 0.6 - 0.32006077842368735, 1e-12);
  EXPECT_NEAR(r.ci_high, 0.6 + 0.32006077842368735, 1e-12);
}

TEST(PairedStatsCompare, NonBinaryScoresUseBootstrap) {
  const std::vector<double> a = {1, 0.5, 0, 1}, b = {0, 1, 0, 1};
  const PairedComparison r = paired_compare(a, b, 7);
  EXPECT_EQ(r.test, "bootstrap");
  EXPECT_EQ(r.a_only, 0);
  EXPECT_EQ(r.b_only, 0);
  const PairedComparison direct = paired_bootstrap(a, b, 7);
  EXPECT_EQ(r.ci_low, direct.ci_low);
  EXPECT_EQ(r.ci_high, direct.ci_high);
  EXPECT_EQ(r.p, direct.p);
}

TEST(PairedStatsCompare, SingleBinaryPairHasNoInterval) {
  const PairedComparison r = paired_compare({1}, {0});
  EXPECT_EQ(r.test, "mcnemar");
  EXPECT_DOUBLE_EQ(r.diff, 1.0);
  EXPECT_DOUBLE_EQ(r.p, 1.0);  // 2 * P[X <= 0], X ~ Bin(1, 1/2) = 1
  EXPECT_TRUE(std::isnan(r.ci_low));
  EXPECT_TRUE(std::isnan(r.ci_high));
}

TEST(PairedStatsCompare, EmptyIsAllNaN) {
  const PairedComparison r = paired_compare({}, {});
  EXPECT_EQ(r.n, 0);
  EXPECT_TRUE(std::isnan(r.diff));
  EXPECT_TRUE(std::isnan(r.ci_low));
  EXPECT_TRUE(std::isnan(r.p));
}

TEST(PairedStatsCompare, SizeMismatchThrows) {
  EXPECT_THROW(paired_compare({1, 0}, {1}), std::invalid_argument);
}

TEST(PairedStatsCompare, AllBinary) {
  EXPECT_TRUE(all_binary({}));
  EXPECT_TRUE(all_binary({0, 1, 1, 0}));
  EXPECT_FALSE(all_binary({0, 1, 0.5}));
  EXPECT_FALSE(all_binary({2}));
  EXPECT_FALSE(all_binary({NAN}));
}

}  // namespace
}  // namespace moebench::reports

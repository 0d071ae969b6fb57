// The statistics behind a report's comparison of two models on the same
// documents (a merged model against one of its experts): a score's mean with
// its 95% interval, and whether the two models' scores differ by more than
// chance, tested on the pairs (document by document), which is far more
// sensitive than comparing two independent means because the documents'
// difficulty cancels out.
//
// Every interval is a 95% one. Intervals and p-values are NaN where the data
// cannot give one (too few documents); callers show NaN as "n/a".
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace moebench::reports {

// The 97.5% quantile of the standard normal: a 95% two-sided interval is
// mean ± kZ95 × standard error.
inline constexpr double kZ95 = 1.959963984540054;

// A mean with lm-eval's standard error, so a report's numbers match the ones
// lm-eval (and moebench's own results) print for the same documents.
struct MeanCI {
  double mean = NAN;
  double stderr_ = NAN;     // sample sd (n - 1) / sqrt(n); "_": stderr is a <cstdio> macro
  double half_width = NAN;  // the 95% interval is mean ± half_width (= kZ95 × stderr_)
  int64_t n = 0;            // values
};
// n == 0: mean NaN; n < 2: stderr_ and half_width NaN (lm-eval's "N/A").
MeanCI mean_ci(const std::vector<double>& values);
// kZ95 × stderr_: the half width of the normal 95% interval (NaN stays NaN).
double ci95_half_width(double stderr_);

// Exact two-sided McNemar test for paired 0/1 outcomes (right/wrong per
// document). Only the discordant pairs carry information: b = documents that
// A got right and B wrong, c = the reverse. Under "A and B are equally good"
// each discordant pair is a fair coin, so
//   p = min(1, 2 × P[X <= min(b, c)]),  X ~ Binomial(b + c, 1/2),
// and p = 1 when b + c == 0. Symmetric in b and c. Computed from the
// binomial terms in log space with Loader's saddle-point form and a
// compensated sum: factorials overflow, and a plain lgamma difference loses
// about 1e-10 of relative precision at b + c = 100000. Checked against exact
// rational arithmetic for b + c up to 120000: relative error below 1e-14 for
// p above 1e-100 (smaller p lose digits to exp's range, subnormal ones more),
// and a p below the smallest double comes back as 0.
// Throws std::invalid_argument when b or c is negative.
double mcnemar_exact_p(int64_t b, int64_t c);

// A comparison of model A with model B on n paired documents.
struct PairedComparison {
  std::string test;                    // "mcnemar" or "bootstrap"
  int64_t n = 0;                       // paired documents
  double mean_a = NAN, mean_b = NAN;   // each model's mean score
  double diff = NAN;                   // mean_a - mean_b
  double ci_low = NAN, ci_high = NAN;  // 95% interval of diff
  double p = NAN;                      // two-sided p-value of "diff == 0"
  int64_t a_only = 0, b_only = 0;      // discordant pairs: A right and B wrong, the reverse (mcnemar only)
};

// Paired bootstrap of the mean difference, for scores that are not 0/1
// (F1, BLEU, partial credit), where no exact test applies.
//
// Draws `resamples` resamples of the n pair indices with replacement and
// takes each one's mean of a[i] - b[i]. ci = the 2.5% and 97.5% percentiles
// of those resampled differences (quantile_linear); p = min(1, 2 × min(share
// of resampled differences <= 0, share >= 0)): twice the smaller tail at 0,
// so p = 1 when a == b and p = 0 when no resample crosses 0. p cannot resolve
// below about 2 / resamples.
//
// Reproducibility: the indices come from std::mt19937_64 seeded with `seed`
// through std::uniform_int_distribution<uint64_t>. The engine's output is
// fixed by the standard but the distribution's mapping is not (libstdc++
// changed it between releases), so a fixed seed reproduces the numbers on one
// platform and standard library, not across them.
//
// n == 0: every number NaN. Throws std::invalid_argument when a and b differ
// in size or resamples < 1.
PairedComparison paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b,
                                  uint64_t seed = 1234, int resamples = 10000);

// The comparison a report shows for two models' per-document scores a[i],
// b[i]. When every value is exactly 0 or 1 (accuracy-like metrics):
// McNemar's exact test (mcnemar_exact_p on the discordant counts), with
// ci = diff ± kZ95 × sd(d) / sqrt(n) (d = a - b per document, sd with
// n - 1: the normal interval of the paired differences' mean; NaN when
// n < 2). Otherwise paired_bootstrap with `seed`.
// n == 0: test "mcnemar" (empty data is vacuously 0/1), every number NaN.
// Throws std::invalid_argument when a and b differ in size.
PairedComparison paired_compare(const std::vector<double>& a, const std::vector<double>& b,
                                uint64_t seed = 1234);

// Whether every value is exactly 0 or 1 (true for an empty vector).
bool all_binary(const std::vector<double>& values);

// The q-quantile of ascending `sorted` by linear interpolation between order
// statistics at position (size - 1) × q: numpy.quantile's default method
// ("linear", Hyndman & Fan type 7), so intervals match what an analyst
// recomputes with numpy. Empty: NaN. REQUIRES: sorted ascending.
// Throws std::invalid_argument unless 0 <= q <= 1.
double quantile_linear(const std::vector<double>& sorted, double q);

}  // namespace moebench::reports

#include "reports/paired_stats.h"

#include <algorithm>
#include <limits>
#include <random>
#include <stdexcept>

namespace moebench::reports {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLnSqrt2Pi = 0.918938533204672741780329736406;  // log(sqrt(2 pi))
constexpr double kLn2Pi = 1.837877066409345483560659472811;      // log(2 pi)

// Neumaier's compensated sum: the McNemar tail adds up to ~n/2 terms of very
// different sizes, and a p-value is only worth showing if its digits are right.
class CompensatedSum {
 public:
  void add(double x) {
    const double t = sum_ + x;
    if (std::fabs(sum_) >= std::fabs(x)) {
      carry_ += (sum_ - t) + x;
    } else {
      carry_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  double value() const { return sum_ + carry_; }

 private:
  double sum_ = 0, carry_ = 0;
};

// Loader's (2000) "Fast and accurate computation of binomial probabilities",
// as in R's dbinom: log n! = (n + 1/2) log n - n + log sqrt(2 pi) + stirlerr(n)
// with the small error term computed directly, so nothing large cancels.
double stirlerr(double n) {
  if (n <= 15) return std::lgamma(n + 1) - (n + 0.5) * std::log(n) + n - kLnSqrt2Pi;
  constexpr double S0 = 1.0 / 12, S1 = 1.0 / 360, S2 = 1.0 / 1260, S3 = 1.0 / 1680,
                   S4 = 1.0 / 1188;
  const double nn = n * n;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

// x log(x / np) + np - x without its cancellation near x == np (a series in
// v = (x - np) / (x + np) there).
double bd0(double x, double np) {
  if (std::fabs(x - np) >= 0.1 * (x + np)) return x * std::log(x / np) + np - x;
  double v = (x - np) / (x + np);
  double s = (x - np) * v;
  double ej = 2 * x * v;
  v *= v;
  for (int j = 1; j < 1000; ++j) {
    ej *= v;
    const double next = s + ej / (2 * j + 1);
    if (next == s) return next;
    s = next;
  }
  return s;
}

// P[X == k] for X ~ Binomial(n, 1/2).
double binomial_half_pmf(int64_t k, int64_t n) {
  if (k == 0 || k == n) return std::exp(static_cast<double>(n) * -std::log(2.0));
  const double x = static_cast<double>(k), m = static_cast<double>(n), half = m / 2;
  const double lc = stirlerr(m) - stirlerr(x) - stirlerr(m - x) - bd0(x, half) - bd0(m - x, half);
  const double lf = kLn2Pi + std::log(x) + std::log1p(-x / m);
  return std::exp(lc - 0.5 * lf);
}

// P[X <= k] for X ~ Binomial(n, 1/2), k <= n / 2. The terms grow with k up
// to the mode, so they are summed from k down and the loop stops once what is
// left (a tail shrinking faster than a geometric series of ratio j / (n - j + 1))
// can no longer change the sum.
double binomial_half_lower_tail(int64_t k, int64_t n) {
  CompensatedSum sum;
  for (int64_t j = k; j >= 0; --j) {
    const double term = binomial_half_pmf(j, n);
    sum.add(term);
    const double ratio = static_cast<double>(j) / static_cast<double>(n - j + 1);
    if (ratio < 1 && term * ratio / (1 - ratio) < sum.value() * 1e-17) break;
  }
  return sum.value();
}

double mean_of(const std::vector<double>& values) {
  if (values.empty()) return kNaN;
  CompensatedSum sum;
  for (double v : values) sum.add(v);
  return sum.value() / static_cast<double>(values.size());
}

void require_same_size(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    throw std::invalid_argument("paired comparison of " + std::to_string(a.size()) + " and " +
                                std::to_string(b.size()) + " values: the pairs need equal sizes");
  }
}

std::vector<double> differences(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

// The mean differences of `resamples` bootstrap resamples of d, ascending.
std::vector<double> resampled_means(const std::vector<double>& d, uint64_t seed, int resamples) {
  std::mt19937_64 engine(seed);
  std::uniform_int_distribution<uint64_t> pick(0, d.size() - 1);
  std::vector<double> means(static_cast<size_t>(resamples));
  for (double& mean : means) {
    double sum = 0;
    for (size_t i = 0; i < d.size(); ++i) sum += d[pick(engine)];
    mean = sum / static_cast<double>(d.size());
  }
  std::sort(means.begin(), means.end());
  return means;
}

// Twice the smaller share of `sorted` on either side of 0 (0 itself counts
// on both sides, so differences that are all 0 give p = 1).
double two_sided_share(const std::vector<double>& sorted) {
  const auto at_most_0 = std::upper_bound(sorted.begin(), sorted.end(), 0.0) - sorted.begin();
  const auto at_least_0 = sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), 0.0);
  const double smaller = static_cast<double>(std::min(at_most_0, at_least_0));
  return std::min(1.0, 2 * smaller / static_cast<double>(sorted.size()));
}

PairedComparison mcnemar_comparison(const std::vector<double>& a, const std::vector<double>& b) {
  PairedComparison out;
  out.test = "mcnemar";
  out.n = static_cast<int64_t>(a.size());
  if (a.empty()) return out;
  for (size_t i = 0; i < a.size(); ++i) {
    out.a_only += a[i] == 1 && b[i] == 0;
    out.b_only += a[i] == 0 && b[i] == 1;
  }
  out.mean_a = mean_of(a);
  out.mean_b = mean_of(b);
  out.diff = out.mean_a - out.mean_b;
  // Centred on diff, which equals the mean of d but is the number shown.
  const double half = mean_ci(differences(a, b)).half_width;
  out.ci_low = out.diff - half;
  out.ci_high = out.diff + half;
  out.p = mcnemar_exact_p(out.a_only, out.b_only);
  return out;
}

}  // namespace

MeanCI mean_ci(const std::vector<double>& values) {
  MeanCI out;
  out.n = static_cast<int64_t>(values.size());
  out.mean = mean_of(values);
  if (out.n < 2) return out;
  CompensatedSum squares;
  for (double v : values) squares.add((v - out.mean) * (v - out.mean));
  const double n = static_cast<double>(out.n);
  out.stderr_ = std::sqrt(squares.value() / (n - 1)) / std::sqrt(n);
  out.half_width = ci95_half_width(out.stderr_);
  return out;
}

double ci95_half_width(double stderr_) { return kZ95 * stderr_; }

double mcnemar_exact_p(int64_t b, int64_t c) {
  if (b < 0 || c < 0) {
    throw std::invalid_argument("McNemar test of negative counts " + std::to_string(b) + ", " +
                                std::to_string(c));
  }
  // b == c or |b - c| == 1: the lower tail holds at least half the mass.
  if (std::llabs(b - c) <= 1) return 1.0;
  return std::min(1.0, 2 * binomial_half_lower_tail(std::min(b, c), b + c));
}

PairedComparison paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b,
                                  uint64_t seed, int resamples) {
  require_same_size(a, b);
  if (resamples < 1) {
    throw std::invalid_argument("paired bootstrap with " + std::to_string(resamples) +
                                " resamples: needs at least 1");
  }
  PairedComparison out;
  out.test = "bootstrap";
  out.n = static_cast<int64_t>(a.size());
  if (a.empty()) return out;
  out.mean_a = mean_of(a);
  out.mean_b = mean_of(b);
  out.diff = out.mean_a - out.mean_b;
  const std::vector<double> means = resampled_means(differences(a, b), seed, resamples);
  out.ci_low = quantile_linear(means, 0.025);
  out.ci_high = quantile_linear(means, 0.975);
  out.p = two_sided_share(means);
  return out;
}

PairedComparison paired_compare(const std::vector<double>& a, const std::vector<double>& b,
                                uint64_t seed) {
  require_same_size(a, b);
  if (all_binary(a) && all_binary(b)) return mcnemar_comparison(a, b);
  return paired_bootstrap(a, b, seed);
}

bool all_binary(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return v == 0 || v == 1; });
}

double quantile_linear(const std::vector<double>& sorted, double q) {
  if (!(q >= 0 && q <= 1)) {
    throw std::invalid_argument("quantile " + std::to_string(q) + " outside [0, 1]");
  }
  if (sorted.empty()) return kNaN;
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double t = h - static_cast<double>(lo), x0 = sorted[lo], x1 = sorted[hi];
  // numpy's _lerp: interpolate from the nearer end, so t == 1 gives x1 exactly.
  return t < 0.5 ? x0 + (x1 - x0) * t : x1 - (x1 - x0) * (1 - t);
}

}  // namespace moebench::reports

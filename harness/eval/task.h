// A task ready to run: its spec, its documents, and the three things the
// engine needs from it: the requests of a document, and how to score that
// document from the model's responses. Tasks never see a model or a database.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/engine/request.h"
#include "harness/eval/chat_template.h"
#include "harness/eval/task_spec.h"

namespace moebench::eval {

class Sandbox;

using Doc = nlohmann::json;

// Requests and responses are the engine's (harness/engine/request.h): tasks
// build them, the engine answers them.
using engine::Request;
using engine::Response;

// Per-document outcome: what the sample log shows and what aggregation reads.
struct SampleScore {
  std::map<std::string, double> metrics;  // "acc,none", "exact_match,strict-match", ...
  // Weighted metrics (the perplexities, bits_per_byte): metrics[key] holds the
  // log-likelihood and weights[key] the count it is divided by (words, bytes, tokens).
  std::map<std::string, double> weights;
  // filter name -> the filtered responses (one per repeat unless the pipeline
  // reduces them); empty for log-likelihood tasks.
  std::map<std::string, std::vector<std::string>> filtered;
  // filter name -> the sandbox's verdict per program ("passed", "exit code 1 (AssertionError)").
  std::map<std::string, std::vector<std::string>> program_results;
  std::string target;  // the gold as text: target, gold choice, or references joined
};

// Aggregated metric "name,filter" over all documents.
struct MetricResult {
  double value = 0, stderr_value = 0;  // stderr: sample std (n-1) / sqrt(n); NaN when n < 2
                                       // and for the weighted metrics (lm-eval's "N/A")
  int64_t n = 0;
  bool higher_is_better = true;
};

class Task {
 public:
  // Validates every document up front (templates resolve, choices are lists of
  // strings, gold indices are in range, pass@k documents carry tests) and draws the
  // few-shot examples of every document; InputError naming the document on any
  // problem. `fewshot_docs` empty: examples come from `docs` (the document itself
  // excluded).
  Task(TaskSpec spec, std::vector<Doc> docs, std::vector<Doc> fewshot_docs);
  // Reads spec.dataset_path (and fewshot_path when set) as JSONL.
  static Task load(TaskSpec spec);
  // The same documents under another spec (overrides such as --num_fewshot);
  // few-shot examples are drawn again.
  Task with_spec(TaskSpec spec) const { return Task(std::move(spec), docs_, fewshot_docs_); }

  const TaskSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.task; }
  const std::vector<Doc>& docs() const { return docs_; }
  // The filter pipelines' names, in metric-key order ("none" without filter_list).
  std::vector<std::string> filter_names() const;

  // The prompt of document `i` (description, few-shot examples drawn with the
  // seeded sampler, doc_to_text), before any chat template.
  std::string prompt(size_t i) const;
  // The same as lm-eval's chat input: the description as a system message (when
  // there is one), then one user message with the few-shot examples and doc_to_text.
  std::vector<ChatMessage> chat_messages(size_t i) const;
  // prompt(i) under ChatFormat::None, else apply_chat_template(format, chat_messages(i)).
  std::string context(size_t i, ChatFormat format) const;
  // Requests for document i (multiple_choice: one per choice, in choice order;
  // generate_until: `repeats` identical requests; loglikelihood_rolling: the target
  // text with an empty context). `chat_formatted`: the context went through a chat
  // template, so multiple-choice continuations drop target_delimiter, as lm-eval does.
  std::vector<Request> requests(size_t i, const std::string& formatted_prompt,
                                bool chat_formatted = false) const;
  // Filters and metrics for documents `indices` (responses[k] answers the
  // requests of indices[k], in request order). Programs of coding tasks run as
  // one parallel batch in `sandbox`, which may be null for other tasks
  // (InputError when a pass@k task gets none).
  std::vector<SampleScore> score(const std::vector<size_t>& indices,
                                 const std::vector<std::vector<Response>>& responses,
                                 const Sandbox* sandbox) const;
  // Mean and standard error of every metric over the scored documents.
  std::map<std::string, MetricResult> aggregate(const std::vector<SampleScore>& samples) const;

  // The choices of document i (multiple_choice), and its gold index.
  std::vector<std::string> choices(size_t i) const;
  size_t gold(size_t i) const;
  // The reference texts of document i (generate_until; a list target gives several).
  std::vector<std::string> references(size_t i) const;
  // lm-eval's str(doc_to_target(doc)) of document i: what its samples files
  // hash as target_hash ("1" for a gold index, "['a', 'b']" for a list).
  std::string target_string(size_t i) const;

 private:
  struct Compiled;  // templates, filters, exact-match regexes: RE2 stays out of this header
  std::string fewshot_context(size_t i) const;
  std::string where(size_t i) const;

  TaskSpec spec_;
  std::vector<Doc> docs_, fewshot_docs_;
  std::shared_ptr<const Compiled> compiled_;
  std::vector<std::vector<size_t>> fewshot_;  // few-shot indices of each document
};

}  // namespace moebench::eval

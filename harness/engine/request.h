// The three request types of lm-evaluation-harness's model interface, as text.
// The engine turns them into token batches; the evaluation layer builds them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moebench::engine {

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
  std::string text;        // GenerateUntil (cut before the first stop sequence)
  int64_t tokens = 0;      // Rolling: number of scored tokens (for perplexity)
};

}  // namespace moebench::engine

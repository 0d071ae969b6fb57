// Runs text requests on a loaded model: tokenises them the way
// lm-evaluation-harness's Hugging Face backend does, sorts them by length into
// batches (longest first, so running out of memory happens at once), answers
// identical requests once, and returns responses in the original order.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/engine/request.h"
#include "harness/model/language_model.h"

namespace moebench {
class ProgressBar;
}

namespace moebench::engine {

struct EngineOptions {
  // Sequences per forward pass; 0 = auto: the largest power of two up to 64
  // that fits in memory (found by halving after an out-of-memory error; on CPU
  // auto means 16, where bigger batches barely help).
  int batch_size = 16;
  // lm-eval encodes contexts without BOS for causal models unless the model
  // argument add_bos_token is set; true prepends the tokenizer's BOS.
  bool add_bos_token = false;
  bool show_progress = true;  // progress bar on stderr (only when it is a terminal)
};

// "auto" -> 0, "8" -> 8; InputError "<where>: expected a positive integer or
// auto, got '<text>'" for anything else (0, -1, "ten", "8x").
int parse_batch_size(const std::string& text, const std::string& where);

class Engine {
 public:
  Engine(std::shared_ptr<const model::LanguageModel> model, EngineOptions options);

  // Answers every request; responses[i] answers requests[i]. Routing events
  // reach `routing` with RoutingEvent::row_request = the index i of the request.
  std::vector<Response> run(const std::vector<Request>& requests, const std::string& label,
                            model::RoutingSink* routing = nullptr);

  const model::LanguageModel& model() const { return *model_; }
  int batch_size() const { return batch_size_; }
  // Requests answered since the last call whose tokens did not fit the
  // model's context and were cut from the left (as lm-eval does); resets.
  int64_t take_truncated() { return std::exchange(truncated_, 0); }

 private:
  void run_loglikelihood(const std::vector<Request>& requests, const std::vector<size_t>& indices,
                         std::vector<Response>* out, model::RoutingSink* routing, ProgressBar* bar);
  void run_rolling(const std::vector<Request>& requests, const std::vector<size_t>& indices,
                   std::vector<Response>* out, model::RoutingSink* routing, ProgressBar* bar);
  void run_generation(const std::vector<Request>& requests, const std::vector<size_t>& indices,
                      std::vector<Response>* out, model::RoutingSink* routing, ProgressBar* bar);
  // Calls `step(batch_size)`, halving the batch size on out-of-memory errors when auto.
  template <typename Step>
  void with_batch_size(Step step);

  std::shared_ptr<const model::LanguageModel> model_;
  EngineOptions options_;
  int batch_size_;
  bool auto_batch_;
  int64_t truncated_ = 0;
};

}  // namespace moebench::engine

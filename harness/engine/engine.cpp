#include "harness/engine/engine.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>

#include "harness/util/error.h"
#include "harness/util/progress.h"

namespace moebench::engine {
namespace {

// Forwards routing events with batch rows renamed from the model call's
// request indices to the caller's.
class RemappedSink : public model::RoutingSink {
 public:
  RemappedSink(model::RoutingSink* inner, const std::vector<size_t>& caller_index)
      : inner_(inner), caller_index_(caller_index) {}
  bool wants_probabilities() const override { return inner_->wants_probabilities(); }
  void on_routing(const model::RoutingEvent& event) override {
    std::vector<int64_t> rows(event.batch);
    for (int64_t b = 0; b < event.batch; ++b) {
      rows[b] = static_cast<int64_t>(caller_index_[event.row_request[b]]);
    }
    // Only the rows are renamed: the copy keeps every other field (token_ids,
    // decode) as the model reported it.
    model::RoutingEvent renamed = event;
    renamed.row_request = rows.data();
    inner_->on_routing(renamed);
  }

 private:
  model::RoutingSink* inner_;
  const std::vector<size_t>& caller_index_;
};

bool looks_like_out_of_memory(const std::exception& e) {
  const std::string what = e.what();
  return what.find("out of memory") != std::string::npos ||
         what.find("CUDA error: out of memory") != std::string::npos;
}

}  // namespace

int parse_batch_size(const std::string& text, const std::string& where) {
  if (text == "auto") return 0;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < 1 || value > 1 << 20)
    fail_input(where, "expected a positive integer or auto, got '{}'", text);
  return static_cast<int>(value);
}

Engine::Engine(std::shared_ptr<const model::LanguageModel> model, EngineOptions options)
    : model_(std::move(model)), options_(options), batch_size_(options.batch_size),
      auto_batch_(options.batch_size == 0) {
  if (options.batch_size < 0) {
    fail_input("batch size", "expected a positive integer or 0 (auto), got {}", options.batch_size);
  }
  if (auto_batch_) batch_size_ = model_->device().rfind("cuda", 0) == 0 ? 64 : 16;
}

template <typename Step>
void Engine::with_batch_size(Step step) {
  while (true) {
    try {
      step(batch_size_);
      return;
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      if (!auto_batch_ || batch_size_ == 1 || !looks_like_out_of_memory(e)) throw;
      batch_size_ /= 2;  // retry the same chunk smaller; earlier chunks are kept
    }
  }
}

std::vector<Response> Engine::run(const std::vector<Request>& requests, const std::string& label,
                                  model::RoutingSink* routing) {
  std::vector<Response> out(requests.size());
  std::vector<size_t> by_kind[3];
  for (size_t i = 0; i < requests.size(); ++i) {
    by_kind[static_cast<int>(requests[i].kind)].push_back(i);
  }
  ProgressBar bar(label, static_cast<int64_t>(requests.size()), "requests");
  ProgressBar* shown = options_.show_progress ? &bar : nullptr;
  run_loglikelihood(requests, by_kind[0], &out, routing, shown);
  run_rolling(requests, by_kind[1], &out, routing, shown);
  run_generation(requests, by_kind[2], &out, routing, shown);
  return out;
}

void Engine::run_loglikelihood(const std::vector<Request>& requests,
                               const std::vector<size_t>& indices, std::vector<Response>* out,
                               model::RoutingSink* routing, ProgressBar* bar) {
  // Identical (context, continuation) pairs are scored once.
  std::map<std::pair<std::string, std::string>, size_t> first;
  std::vector<size_t> unique, duplicate_of(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    const Request& r = requests[indices[k]];
    auto [it, inserted] = first.emplace(std::make_pair(r.context, r.continuation), unique.size());
    if (inserted) unique.push_back(indices[k]);
    duplicate_of[k] = it->second;
  }
  std::vector<model::LoglikelihoodRequest> encoded;
  for (size_t i : unique) {
    encoded.push_back(model::encode_pair(model_->tokenizer(), requests[i].context,
                                         requests[i].continuation, options_.add_bos_token));
    // The model sees context + continuation less its last token; longer is cut from the left.
    const auto& e = encoded.back();
    if (static_cast<int64_t>(e.context.size() + e.continuation.size()) - 1 > model_->max_length())
      ++truncated_;
  }
  // Longest context first, requests of one context side by side (so a chunk
  // holds whole multiple-choice groups, whose context the model scores once);
  // chunks of a few batches keep the progress bar moving.
  std::vector<size_t> order(unique.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = encoded[a].context;
    const auto& y = encoded[b].context;
    if (x.size() != y.size()) return x.size() > y.size();
    return x < y;
  });
  std::vector<model::LoglikelihoodResult> results(unique.size());
  for (size_t begin = 0; begin < order.size();) {
    with_batch_size([&](int bs) {
      const size_t end = std::min(order.size(), begin + 4 * static_cast<size_t>(bs));
      std::vector<model::LoglikelihoodRequest> chunk;
      std::vector<size_t> caller;
      for (size_t j = begin; j < end; ++j) {
        chunk.push_back(encoded[order[j]]);
        caller.push_back(unique[order[j]]);
      }
      RemappedSink sink(routing, caller);
      auto scored = model_->loglikelihood(chunk, bs, routing ? &sink : nullptr);
      for (size_t j = begin; j < end; ++j) results[order[j]] = std::move(scored[j - begin]);
      if (bar) bar->advance(static_cast<int64_t>(end - begin));
      begin = end;
    });
  }
  for (size_t k = 0; k < indices.size(); ++k) {
    const auto& r = results[duplicate_of[k]];
    (*out)[indices[k]].logprob = r.logprob;
    (*out)[indices[k]].is_greedy = r.is_greedy;
    (*out)[indices[k]].tokens = static_cast<int64_t>(r.token_logprobs.size());
  }
  if (bar && indices.size() > unique.size()) {
    bar->advance(static_cast<int64_t>(indices.size() - unique.size()));
  }
}

void Engine::run_rolling(const std::vector<Request>& requests, const std::vector<size_t>& indices,
                         std::vector<Response>* out, model::RoutingSink* routing,
                         ProgressBar* bar) {
  for (size_t begin = 0; begin < indices.size();) {
    with_batch_size([&](int bs) {
      const size_t end = std::min(indices.size(), begin + static_cast<size_t>(bs));
      std::vector<std::vector<int32_t>> texts;
      std::vector<size_t> caller;
      for (size_t j = begin; j < end; ++j) {
        texts.push_back(model_->tokenizer().encode(requests[indices[j]].continuation, false));
        caller.push_back(indices[j]);
      }
      // The model reports each text's windows as that text (row j - begin).
      RemappedSink sink(routing, caller);
      auto totals = model_->loglikelihood_rolling(texts, bs, routing ? &sink : nullptr);
      for (size_t j = begin; j < end; ++j) {
        (*out)[indices[j]].logprob = totals[j - begin];
        (*out)[indices[j]].tokens = static_cast<int64_t>(texts[j - begin].size());
      }
      if (bar) bar->advance(static_cast<int64_t>(end - begin));
      begin = end;
    });
  }
}

void Engine::run_generation(const std::vector<Request>& requests,
                            const std::vector<size_t>& indices, std::vector<Response>* out,
                            model::RoutingSink* routing, ProgressBar* bar) {
  std::vector<size_t> order(indices);
  std::vector<std::vector<int32_t>> prompts(requests.size());
  for (size_t i : indices) {
    prompts[i] = model_->tokenizer().encode(requests[i].context, options_.add_bos_token);
    if (prompts[i].empty()) prompts[i] = {model_->tokenizer().bos_id()};
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return prompts[a].size() > prompts[b].size(); });
  for (size_t begin = 0; begin < order.size();) {
    with_batch_size([&](int bs) {
      const size_t end = std::min(order.size(), begin + static_cast<size_t>(bs));
      std::vector<model::GenerationRequest> chunk;
      std::vector<size_t> caller;
      for (size_t j = begin; j < end; ++j) {
        const Request& r = requests[order[j]];
        // A generation budget as long as the context would leave no prompt:
        // keep at least half the context for it (the prompt is cut from the left).
        const int budget = static_cast<int>(std::min<int64_t>(
            r.max_gen_toks, std::max<int64_t>(1, model_->max_length() / 2)));
        chunk.push_back({prompts[order[j]], budget, r.until});
        if (static_cast<int64_t>(prompts[order[j]].size()) > model_->max_length() - budget) ++truncated_;
        caller.push_back(order[j]);
      }
      RemappedSink sink(routing, caller);
      auto generated = model_->generate(chunk, bs, routing ? &sink : nullptr);
      for (size_t j = begin; j < end; ++j) {
        (*out)[order[j]].text = std::move(generated[j - begin].text);
        (*out)[order[j]].tokens = static_cast<int64_t>(generated[j - begin].tokens.size());
      }
      if (bar) bar->advance(static_cast<int64_t>(end - begin));
      begin = end;
    });
  }
}

}  // namespace moebench::engine

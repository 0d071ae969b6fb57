// LanguageModel::generate: batched greedy decoding with a KV cache.
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <numeric>

#include "harness/model/language_model.h"
#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"

namespace moebench::model {
namespace {

// Position of the earliest stop sequence in `text`, or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops) {
  size_t best = std::string::npos;
  for (const auto& s : stops) {
    if (s.empty()) continue;
    best = std::min(best, text.find(s));
  }
  return best;
}

struct Sequence {
  size_t request;              // index into the caller's requests
  std::vector<int32_t> prompt; // after left truncation
  GenerationResult result;
  bool saw_special = false;  // a special token among the generated ones
};

}  // namespace

std::vector<GenerationResult> LanguageModel::generate(const std::vector<GenerationRequest>& requests,
                                                      int batch_size, RoutingSink* routing) const {
  if (batch_size < 1) fail_input("batch size", "expected a positive integer, got {}", batch_size);
  const auto& eos_ids = config().eos_token_ids;
  const int32_t tok_eos = tokenizer().eos_id();
  auto is_eos = [&](int32_t id) {
    return id == tok_eos || std::find(eos_ids.begin(), eos_ids.end(), id) != eos_ids.end();
  };
  std::vector<Sequence> seqs(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const std::string what = "generation request " + std::to_string(i);
    if (r.prompt.empty()) fail_input(what, "the prompt is empty (it needs at least BOS)");
    if (r.max_new_tokens < 0) fail_input(what, "max_new_tokens is {}", r.max_new_tokens);
    if (r.max_new_tokens >= max_length()) {
      fail_input(what, "max_new_tokens {} leaves no room for the prompt (context {})",
                 r.max_new_tokens, max_length());
    }
    runtime_->check_ids(r.prompt, what);
    // Keep the end of a prompt that would not fit, as lm-eval does.
    const size_t room = static_cast<size_t>(max_length() - r.max_new_tokens);
    const size_t keep = std::min(room, r.prompt.size());
    seqs[i].request = i;
    seqs[i].prompt.assign(r.prompt.end() - keep, r.prompt.end());
  }
  std::vector<size_t> order(seqs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return seqs[a].prompt.size() > seqs[b].prompt.size();
  });

  c10::InferenceMode guard;
  const Transformer& model = runtime_->transformer();
  const auto device = runtime_->device();
  for (size_t begin = 0; begin < order.size(); begin += batch_size) {
    std::vector<Sequence*> active;
    for (size_t j = begin; j < std::min(order.size(), begin + batch_size); ++j) {
      active.push_back(&seqs[order[j]]);
    }
    int64_t capacity = 0;
    std::vector<const std::vector<int32_t>*> prompts;
    std::vector<int64_t> row_request;
    for (Sequence* s : active) {
      capacity = std::max<int64_t>(capacity, s->prompt.size() + requests[s->request].max_new_tokens);
      prompts.push_back(&s->prompt);
      row_request.push_back(static_cast<int64_t>(s->request));
    }
    KVCache cache = KVCache::allocate(model.weights(), active.size(), capacity);
    ForwardBatch batch = make_batch(prompts, row_request, 0);
    at::Tensor hidden = model.forward(batch, &cache, {routing, nullptr});
    std::vector<int64_t> last;
    for (size_t b = 0; b < active.size(); ++b) last.push_back(active[b]->prompt.size() - 1);
    at::Tensor rows = at::arange(static_cast<int64_t>(active.size()), at::kLong).to(device);
    at::Tensor next = model.logits(hidden.index({rows, at::tensor(last).to(device)})).argmax(-1);

    while (true) {
      // Record each row's new token and decide which rows go on.
      std::vector<int64_t> next_ids(next.size(0));
      at::Tensor next_cpu = next.to(at::kCPU);
      std::copy_n(next_cpu.data_ptr<int64_t>(), next_ids.size(), next_ids.begin());
      std::vector<int64_t> keep_rows, keep_tokens, keep_positions, keep_requests;
      std::vector<Sequence*> still_active;
      for (size_t b = 0; b < active.size(); ++b) {
        Sequence& s = *active[b];
        const auto& req = requests[s.request];
        const int32_t token = static_cast<int32_t>(next_ids[b]);
        if (req.max_new_tokens == 0) {
          s.result.stop_reason = "length";
          continue;
        }
        if (is_eos(token)) {
          s.result.stop_reason = "eos";
          continue;
        }
        s.result.tokens.push_back(token);
        s.result.text = tokenizer().decode(s.result.tokens);
        size_t cut = find_stop(s.result.text, req.stop);
        // A stop sequence spelling a special token ("<|im_end|>") ends the
        // generation as lm-eval's stopping criterion sees it (specials
        // spelled out); the text keeps what came before, specials left out.
        s.saw_special |= tokenizer().is_special(token);
        if (cut == std::string::npos && s.saw_special &&
            find_stop(tokenizer().decode(s.result.tokens, false), req.stop) != std::string::npos)
          cut = s.result.text.size();
        if (cut != std::string::npos) {
          s.result.text.resize(cut);
          s.result.stop_reason = "stop";
          continue;
        }
        if (static_cast<int>(s.result.tokens.size()) >= req.max_new_tokens) {
          s.result.stop_reason = "length";
          continue;
        }
        keep_rows.push_back(static_cast<int64_t>(b));
        keep_tokens.push_back(token);
        keep_positions.push_back(static_cast<int64_t>(s.prompt.size() + s.result.tokens.size() - 1));
        keep_requests.push_back(static_cast<int64_t>(s.request));
        still_active.push_back(&s);
      }
      if (still_active.empty()) break;
      if (still_active.size() != active.size()) cache.keep_rows(at::tensor(keep_rows));
      active = std::move(still_active);
      const int64_t B = static_cast<int64_t>(active.size());
      ForwardBatch step{at::tensor(keep_tokens).view({B, 1}), at::tensor(keep_positions),
                        at::ones({B, 1}, at::kBool), keep_requests, /*decode=*/true};
      hidden = model.forward(step, &cache, {routing, nullptr});
      next = model.logits(hidden.select(1, 0)).argmax(-1);
    }
  }
  std::vector<GenerationResult> results;
  results.reserve(seqs.size());
  for (auto& s : seqs) results.push_back(std::move(s.result));
  return results;
}

}  // namespace moebench::model

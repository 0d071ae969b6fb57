// Scoring several continuations of one context with a single forward pass over
// the context: its keys and values are computed once, copied into one KV-cache
// row per continuation, and only the continuations are run on top. For
// multiple-choice prompts with long few-shot contexts this divides the work by
// the number of choices; the log-probabilities are those of the plain path.
#include <ATen/core/grad_mode.h>

#include "harness/model/language_model_impl.h"

namespace moebench::model {

void score_shared_contexts(const TransformerRuntime& runtime,
                           const std::vector<LoglikelihoodRequest>& requests,
                           const std::vector<std::vector<size_t>>& groups, int batch_size,
                           RoutingSink* routing, std::vector<LoglikelihoodResult>* results) {
  c10::InferenceMode guard;
  const Transformer& model = runtime.transformer();
  const auto device = runtime.device();
  // Pack whole groups until the continuation rows fill a batch.
  for (size_t g0 = 0; g0 < groups.size();) {
    size_t g1 = g0, rows = 0;
    while (g1 < groups.size() && (g1 == g0 || rows + groups[g1].size() <= size_t(batch_size))) {
      rows += groups[g1++].size();
    }
    // 1. The contexts, once each, into a cache with room for the continuations.
    std::vector<const std::vector<int32_t>*> contexts;
    std::vector<int64_t> context_request, replicate, starts;
    // Slots are absolute positions; a batch spans the longest context plus the
    // longest continuation, which may belong to different rows.
    int64_t longest_context = 0, longest_continuation = 0;
    for (size_t g = g0; g < g1; ++g) {
      const auto& ctx = requests[groups[g][0]].context;
      contexts.push_back(&ctx);
      context_request.push_back(static_cast<int64_t>(groups[g][0]));
      for (size_t r : groups[g]) {
        replicate.push_back(static_cast<int64_t>(g - g0));
        starts.push_back(static_cast<int64_t>(ctx.size()));
        longest_context = std::max<int64_t>(longest_context, ctx.size());
        longest_continuation = std::max<int64_t>(longest_continuation, requests[r].continuation.size());
      }
    }
    KVCache cache = KVCache::allocate(model.weights(), static_cast<int64_t>(contexts.size()),
                                      longest_context + longest_continuation);
    ForwardBatch prefill = make_batch(contexts, context_request, 0);
    at::Tensor hidden = model.forward(prefill, &cache, {routing, nullptr});
    std::vector<int64_t> last;
    for (const auto* c : contexts) last.push_back(static_cast<int64_t>(c->size()) - 1);
    at::Tensor rows_t = at::tensor(replicate);
    at::Tensor first_lp =
        at::log_softmax(model.logits(hidden.index({rows_t.to(device), at::tensor(last).index_select(0, rows_t).to(device)})), -1);

    // 2. Every continuation but its last token, on a copy of its context's cache.
    cache.keep_rows(rows_t);
    std::vector<std::vector<int32_t>> inputs;
    std::vector<int64_t> row_request;
    for (size_t g = g0; g < g1; ++g) {
      for (size_t r : groups[g]) {
        const auto& cont = requests[r].continuation;
        inputs.emplace_back(cont.begin(), cont.end() - 1);
        row_request.push_back(static_cast<int64_t>(r));
      }
    }
    std::vector<const std::vector<int32_t>*> input_ptrs;
    for (const auto& in : inputs) input_ptrs.push_back(&in);
    ForwardBatch step = make_batch(input_ptrs, row_request, 0);
    at::Tensor rest_lp;
    if (step.ids.size(1) > 0) {
      step.start = at::tensor(starts);
      rest_lp = at::log_softmax(model.logits(model.forward(step, &cache, {routing, nullptr})), -1)
                    .to(at::kCPU);
    }
    at::Tensor first_cpu = first_lp.to(at::kCPU);
    for (size_t k = 0; k < row_request.size(); ++k) {
      const auto& cont = requests[row_request[k]].continuation;
      LoglikelihoodResult& res = (*results)[row_request[k]];
      res = LoglikelihoodResult{};
      res.is_greedy = true;
      for (size_t t = 0; t < cont.size(); ++t) {
        at::Tensor dist = t == 0 ? first_cpu[k] : rest_lp[k][t - 1];
        const float lp = dist[cont[t]].item<float>();
        res.token_logprobs.push_back(lp);
        res.logprob += lp;
        res.is_greedy = res.is_greedy && dist.argmax().item<int64_t>() == cont[t];
      }
    }
    g0 = g1;
  }
}

}  // namespace moebench::model

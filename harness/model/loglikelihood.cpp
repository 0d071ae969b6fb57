// LanguageModel::loglikelihood and loglikelihood_rolling: scoring without a KV cache.
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "harness/model/language_model.h"
#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"

namespace moebench::model {
namespace {

// One request as the model sees it: input ids and how many trailing input
// positions predict continuation tokens.
struct ScoringRow {
  std::vector<int32_t> input;    // (context + continuation)[-(max_len+1):][:-1]
  std::vector<int32_t> targets;  // the continuation tokens that are scored
};

ScoringRow to_row(const LoglikelihoodRequest& r, int64_t max_len) {
  std::vector<int32_t> all = r.context;
  all.insert(all.end(), r.continuation.begin(), r.continuation.end());
  const size_t keep = std::min<size_t>(all.size(), static_cast<size_t>(max_len) + 1);
  ScoringRow row;
  row.input.assign(all.end() - keep, all.end() - 1);
  const size_t n_targets = std::min(r.continuation.size(), row.input.size());
  row.targets.assign(r.continuation.end() - n_targets, r.continuation.end());
  return row;
}

// Reports the rolling windows of texts as the texts themselves: a window's
// rows become its text's request, its positions become positions in
// [BOS] + text, and only the positions new to the window stay valid: those
// whose hidden states score the window's tokens. So each position of a text
// is reported once, by the window that scores the token after it.
class WindowRoutingSink : public RoutingSink {
 public:
  struct Window {
    int64_t text;       // index of the text
    int64_t offset;     // position in [BOS] + text of the window's first input token
    int64_t first_new;  // first position in [BOS] + text the window reports
  };
  WindowRoutingSink(RoutingSink* inner, const std::vector<Window>& windows) : inner_(inner), windows_(windows) {}
  bool wants_probabilities() const override { return inner_->wants_probabilities(); }
  void on_routing(const RoutingEvent& e) override {
    const int64_t n = e.batch * e.seq;
    rows_.resize(e.batch);
    positions_.resize(n);
    valid_.resize(n);
    for (int64_t b = 0; b < e.batch; ++b) {
      const Window& w = windows_[e.row_request ? e.row_request[b] : b];
      rows_[b] = w.text;
      for (int64_t t = b * e.seq; t < (b + 1) * e.seq; ++t) {
        positions_[t] = e.positions[t] + w.offset;
        valid_[t] = e.valid[t] && positions_[t] >= w.first_new;
      }
    }
    RoutingEvent event = e;
    event.row_request = rows_.data();
    event.positions = positions_.data();
    event.valid = valid_.data();
    inner_->on_routing(event);
  }

 private:
  RoutingSink* inner_;
  const std::vector<Window>& windows_;
  std::vector<int64_t> rows_, positions_;
  std::vector<uint8_t> valid_;
};

struct TargetScores {
  at::Tensor logprobs;  // [M] fp32 on CPU: log-probability of each target
  at::Tensor greedy;    // [M] bool on CPU: the target is the argmax
};

// The targets' log-probabilities under the logits of hidden rows [M, H], a
// chunk of rows at a time: a batch's logits are never held whole (16 x 512
// positions x a 32000 vocabulary are 1 GiB in fp32), and a chunk's buffers
// are small enough for the allocator to reuse them.
TargetScores score_targets(const Transformer& model, const at::Tensor& rows, const at::Tensor& targets) {
  constexpr int64_t kRowsPerChunk = 128;
  std::vector<at::Tensor> logprobs, greedy;
  for (int64_t begin = 0; begin < rows.size(0); begin += kRowsPerChunk) {
    const int64_t n = std::min(kRowsPerChunk, rows.size(0) - begin);
    const at::Tensor lp = at::log_softmax(model.logits(rows.narrow(0, begin, n)), -1);  // fp32 [n, V]
    const at::Tensor target = targets.narrow(0, begin, n);
    logprobs.push_back(lp.gather(1, target.unsqueeze(1)).squeeze(1));
    greedy.push_back(lp.argmax(-1) == target);
  }
  return {at::cat(logprobs).to(at::kCPU), at::cat(greedy).to(at::kCPU)};
}

// LanguageModel::loglikelihood; with share_contexts, requests of one context
// (multiple choice) get one context pass, whose routing is reported under the
// first of them only.
std::vector<LoglikelihoodResult> score_requests(const TransformerRuntime& runtime,
                                                const std::vector<LoglikelihoodRequest>& requests,
                                                int batch_size, RoutingSink* routing, bool share_contexts) {
  const int64_t max_length = runtime.config().max_position_embeddings;
  if (batch_size < 1) fail_input("batch size", "expected a positive integer, got {}", batch_size);
  std::vector<ScoringRow> rows;
  rows.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const std::string what = "loglikelihood request " + std::to_string(i);
    if (r.context.empty()) fail_input(what, "the context is empty (it needs at least BOS)");
    if (r.continuation.empty()) fail_input(what, "the continuation is empty");
    runtime.check_ids(r.context, what + " context");
    runtime.check_ids(r.continuation, what + " continuation");
    rows.push_back(to_row(r, max_length));
  }
  // Requests that share a context (multiple-choice) get one context pass.
  std::map<std::vector<int32_t>, std::vector<size_t>> by_context;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    if (share_contexts && r.context.size() + r.continuation.size() - 1 <= static_cast<size_t>(max_length)) {
      by_context[r.context].push_back(i);
    }
  }
  std::vector<std::vector<size_t>> shared;
  std::vector<bool> is_shared(requests.size(), false);
  for (auto& [context, members] : by_context) {
    if (members.size() < 2) continue;
    for (size_t i : members) is_shared[i] = true;
    shared.push_back(std::move(members));
  }
  std::vector<LoglikelihoodResult> results(requests.size());
  score_shared_contexts(runtime, requests, shared, batch_size, routing, &results);

  // The rest longest first: similar lengths share a batch, and out-of-memory shows at once.
  std::vector<size_t> order;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!is_shared[i]) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return rows[a].input.size() > rows[b].input.size();
  });

  c10::InferenceMode guard;
  const auto& model = runtime.transformer();
  for (size_t begin = 0; begin < order.size(); begin += batch_size) {
    const size_t end = std::min(order.size(), begin + batch_size);
    std::vector<const std::vector<int32_t>*> inputs;
    std::vector<int64_t> row_request;
    std::vector<int64_t> flat_positions, targets;
    for (size_t j = begin; j < end; ++j) {
      const ScoringRow& row = rows[order[j]];
      inputs.push_back(&row.input);
      row_request.push_back(static_cast<int64_t>(order[j]));
    }
    ForwardBatch batch = make_batch(inputs, row_request, 0);
    const int64_t T = batch.ids.size(1);
    for (size_t j = begin; j < end; ++j) {
      const ScoringRow& row = rows[order[j]];
      const int64_t first = static_cast<int64_t>(row.input.size() - row.targets.size());
      for (size_t t = 0; t < row.targets.size(); ++t) {
        flat_positions.push_back(static_cast<int64_t>(j - begin) * T + first + t);
        targets.push_back(row.targets[t]);
      }
    }
    at::Tensor hidden = model.forward(batch, nullptr, {routing, nullptr});
    const auto device = hidden.device();
    at::Tensor picked = hidden.reshape({-1, hidden.size(-1)})
                            .index_select(0, at::tensor(flat_positions).to(device));
    const TargetScores scored = score_targets(model, picked, at::tensor(targets).to(device));
    const float* lp = scored.logprobs.data_ptr<float>();
    const bool* g = scored.greedy.data_ptr<bool>();
    size_t k = 0;
    for (size_t j = begin; j < end; ++j) {
      LoglikelihoodResult& res = results[order[j]];
      res.is_greedy = true;
      for (size_t t = 0; t < rows[order[j]].targets.size(); ++t, ++k) {
        res.token_logprobs.push_back(lp[k]);
        res.logprob += lp[k];
        res.is_greedy = res.is_greedy && g[k];
      }
    }
  }
  return results;
}

}  // namespace

std::vector<LoglikelihoodResult> LanguageModel::loglikelihood(
    const std::vector<LoglikelihoodRequest>& requests, int batch_size, RoutingSink* routing) const {
  return score_requests(*runtime_, requests, batch_size, routing, /*share_contexts=*/true);
}

std::vector<double> LanguageModel::loglikelihood_rolling(
    const std::vector<std::vector<int32_t>>& tokens, int batch_size, RoutingSink* routing) const {
  const int32_t bos = tokenizer().bos_id() >= 0 ? tokenizer().bos_id() : tokenizer().eos_id();
  const size_t max_len = static_cast<size_t>(max_length());
  // lm-eval's rolling windows: the first predicts tokens[0:L) from [BOS] +
  // tokens[0:L-1); each later one predicts the next (up to) L tokens with the
  // preceding tokens as context, made disjoint so no token is scored twice.
  std::vector<LoglikelihoodRequest> windows;
  std::vector<WindowRoutingSink::Window> placed;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto& toks = tokens[i];
    size_t predicted = 0;
    while (predicted < toks.size()) {
      const size_t n = std::min(max_len, toks.size() - predicted);
      const size_t end = predicted + n;
      LoglikelihoodRequest w;
      // toks[j] is at position j + 1 of [BOS] + toks.
      if (predicted == 0) {
        w.context = {bos};
        placed.push_back({static_cast<int64_t>(i), 0, 0});
      } else {
        const size_t ctx_begin = end > max_len + 1 ? end - max_len - 1 : 0;
        w.context.assign(toks.begin() + ctx_begin, toks.begin() + predicted);
        placed.push_back({static_cast<int64_t>(i), static_cast<int64_t>(ctx_begin) + 1,
                          static_cast<int64_t>(predicted)});
      }
      w.continuation.assign(toks.begin() + predicted, toks.begin() + end);
      windows.push_back(std::move(w));
      predicted = end;
    }
  }
  std::vector<double> totals(tokens.size(), 0.0);
  WindowRoutingSink window_routing(routing, placed);
  // Windows are scored one by one: shared contexts (every first window's
  // [BOS]) would report their routing under one text only.
  auto scored = score_requests(*runtime_, windows, batch_size, routing ? &window_routing : nullptr,
                               /*share_contexts=*/false);
  for (size_t w = 0; w < windows.size(); ++w) totals[placed[w].text] += scored[w].logprob;
  return totals;
}

LoglikelihoodRequest encode_pair(const io::Tokenizer& tokenizer, const std::string& context,
                                 const std::string& continuation, bool add_special_tokens) {
  std::string ctx = context, cont = continuation;
  const size_t kept = ctx.find_last_not_of(" \t\n\r\f\v");
  const size_t cut = kept == std::string::npos ? 0 : kept + 1;
  cont = ctx.substr(cut) + cont;
  ctx.resize(cut);
  std::vector<int32_t> whole = tokenizer.encode(ctx + cont, add_special_tokens);
  std::vector<int32_t> ctx_ids = tokenizer.encode(ctx, add_special_tokens);
  LoglikelihoodRequest r;
  if (ctx.empty() || ctx_ids.empty()) {
    // lm-eval scores an empty context against the end-of-text token.
    r.context = {tokenizer.bos_id() >= 0 ? tokenizer.bos_id() : tokenizer.eos_id()};
    r.continuation = tokenizer.encode(cont, /*add_special_tokens=*/false);
    return r;
  }
  r.context = ctx_ids;
  r.continuation.assign(whole.begin() + std::min(ctx_ids.size(), whole.size()), whole.end());
  return r;
}

}  // namespace moebench::model

#include "harness/train/lm_trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "harness/model/transformer.h"
#include "harness/train/trainable_weights.h"
#include "harness/util/error.h"
#include "harness/util/progress.h"

namespace moebench::train {
namespace {

// splitmix64: the document order must not depend on the standard library.
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Epoch after epoch of shuffled document indices (Fisher-Yates).
class DocumentOrder {
 public:
  DocumentOrder(size_t count, uint64_t seed) : order_(count), state_(seed) {
    for (size_t i = 0; i < count; ++i) order_[i] = i;
    shuffle();
  }
  size_t next() {
    if (at_ == order_.size()) shuffle();
    return order_[at_++];
  }

 private:
  void shuffle() {
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[next_random(state_) % i]);
    at_ = 0;
  }
  std::vector<size_t> order_;
  uint64_t state_;
  size_t at_ = 0;
};

// One AdamW parameter: the tensor and its two moment estimates.
struct AdamState {
  at::Tensor* param;
  at::Tensor m, v;
  bool decay;
};

// Right-padded [B, T] ids and the mask of real tokens.
model::ForwardBatch make_step_batch(const std::vector<std::vector<int32_t>>& documents,
                                    DocumentOrder& order, int64_t count) {
  std::vector<size_t> picked;
  int64_t longest = 0;
  for (int64_t i = 0; i < count; ++i) {
    picked.push_back(order.next());
    longest = std::max<int64_t>(longest, static_cast<int64_t>(documents[picked.back()].size()));
  }
  at::Tensor ids = at::zeros({count, longest}, at::kLong);
  at::Tensor valid = at::zeros({count, longest}, at::kBool);
  auto id = ids.accessor<int64_t, 2>();
  auto ok = valid.accessor<bool, 2>();
  for (int64_t b = 0; b < count; ++b) {
    const auto& doc = documents[picked[b]];
    for (size_t t = 0; t < doc.size(); ++t) {
      id[b][t] = doc[t];
      ok[b][t] = true;
    }
  }
  model::ForwardBatch batch;
  batch.ids = ids;
  batch.valid = valid;
  batch.start = at::zeros({count}, at::kLong);
  return batch;
}

void check_documents(const std::vector<std::vector<int32_t>>& documents, const io::ModelConfig& c) {
  if (documents.empty()) throw InputError("training: no documents");
  for (size_t i = 0; i < documents.size(); ++i) {
    const int64_t n = static_cast<int64_t>(documents[i].size());
    if (n < 2 || n > c.max_position_embeddings) {
      throw InputError(fmt::format("training: document {} has {} tokens; expected 2..{} "
                                   "(max_position_embeddings)", i, n, c.max_position_embeddings));
    }
  }
}

}  // namespace

double learning_rate(const TrainOptions& o, int64_t step) {
  if (step < o.warmup_steps) return o.peak_lr * static_cast<double>(step + 1) / o.warmup_steps;
  const double span = std::max<int64_t>(1, o.steps - o.warmup_steps);
  const double progress = std::min(1.0, (step - o.warmup_steps) / span);
  const double cosine = 0.5 * (1 + std::cos(M_PI * progress));
  return o.peak_lr * (o.final_lr_fraction + (1 - o.final_lr_fraction) * cosine);
}

TrainResult train_language_model(const std::shared_ptr<model::ModelWeights>& weights,
                                 const std::vector<std::vector<int32_t>>& documents,
                                 const TrainOptions& o) {
  check_documents(documents, weights->config);
  const auto start = std::chrono::steady_clock::now();
  std::vector<AdamState> params;
  for (const NamedTensor& t : named_tensors(*weights)) {
    const bool trains = !o.mlp_only || t.is_mlp;
    t.tensor->set_requires_grad(trains);
    if (trains) params.push_back({t.tensor, at::zeros_like(*t.tensor), at::zeros_like(*t.tensor), !t.is_norm});
  }
  const model::Transformer transformer(weights);
  DocumentOrder order(documents.size(), o.seed);
  TrainResult result;
  ProgressBar bar(o.label, o.steps, "steps");
  for (int64_t step = 0; step < o.steps; ++step) {
    const model::ForwardBatch batch = make_step_batch(documents, order, o.batch_documents);
    // Position t predicts token t + 1; padding is neither input nor target.
    const int64_t T = batch.ids.size(1);
    at::Tensor logits = transformer.logits(transformer.forward(batch, nullptr)).narrow(1, 0, T - 1);
    at::Tensor targets = batch.ids.narrow(1, 1, T - 1).masked_fill(
        batch.valid.narrow(1, 1, T - 1).logical_not(), -100);
    at::Tensor loss = at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}),
                                             targets.reshape({-1}), {}, at::Reduction::Mean, -100);
    loss.backward();
    result.losses.push_back(loss.item<double>());

    at::NoGradGuard no_grad;
    double scale = 1;
    if (o.clip_norm > 0) {
      double squares = 0;
      for (const AdamState& p : params) squares += p.param->grad().pow(2).sum().item<double>();
      const double norm = std::sqrt(squares);
      if (norm > o.clip_norm) scale = o.clip_norm / norm;
    }
    const double lr = learning_rate(o, step);
    const double fix1 = 1 - std::pow(o.beta1, step + 1), fix2 = 1 - std::pow(o.beta2, step + 1);
    for (AdamState& p : params) {
      at::Tensor g = p.param->grad() * scale;
      p.m.mul_(o.beta1).add_(g, 1 - o.beta1);
      p.v.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
      if (p.decay) p.param->mul_(1 - lr * o.weight_decay);
      p.param->addcdiv_(p.m / fix1, (p.v / fix2).sqrt_().add_(o.epsilon), -lr);
      p.param->mutable_grad() = at::Tensor();
    }
    bar.advance();
  }
  bar.finish();
  for (const NamedTensor& t : named_tensors(*weights)) t.tensor->set_requires_grad(false);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace moebench::train

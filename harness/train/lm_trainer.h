// Next-token training of a dense Llama on a list of documents, through the
// model layer's own forward pass (autograd on its at:: operations), with
// AdamW, linear warm-up then cosine decay, and global-norm gradient clipping.
// Deterministic for a seed on one machine: batches come from the project's own
// RNG and no operation draws random numbers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/model/model_weights.h"

namespace moebench::train {

struct TrainOptions {
  int64_t steps = 1000;
  int64_t batch_documents = 64;  // documents per step, right-padded to the longest
  double peak_lr = 3e-3;
  int64_t warmup_steps = 50;      // linear from peak_lr / warmup_steps up to peak_lr
  double final_lr_fraction = 0.1;  // cosine decay ends at this fraction of peak_lr
  double weight_decay = 0.1;       // decoupled (AdamW); matrices only, never norms
  double beta1 = 0.9, beta2 = 0.95, epsilon = 1e-8;
  double clip_norm = 1.0;          // global gradient norm; <= 0 disables clipping
  // Train only the MLP weights (an expert fine-tune): attention, norms and
  // embeddings stay the starting model's, as a frankenMoE's experts share them.
  bool mlp_only = false;
  uint64_t seed = 1;  // order of the documents
  std::string label = "training";  // the progress bar's label
};

struct TrainResult {
  std::vector<double> losses;  // mean next-token loss of each step
  double seconds = 0;
};

// The learning rate of `step` (0-based) under `options`' schedule.
double learning_rate(const TrainOptions& options, int64_t step);

// Trains `weights` in place. `documents` are token ids, each already wrapped
// in BOS ... EOS and at most the model's max_position_embeddings long.
// InputError when there are no documents or one is too long or too short.
TrainResult train_language_model(const std::shared_ptr<model::ModelWeights>& weights,
                                 const std::vector<std::vector<int32_t>>& documents,
                                 const TrainOptions& options);

}  // namespace moebench::train

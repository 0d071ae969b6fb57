// moebench's own gate modes (beyond mergekit's), built from the state each
// router actually reads: the hidden state after attention and
// post_attention_layernorm, at every prompt token, computed layer by layer
// through the merged model itself, so layer l's rows see the routing that the
// rows of layers < l give. (mergekit's `hidden` reads the state entering a
// layer, at the last prompt token, through the dense base.)
//  - router_state: per expert, the mean of that state over all tokens of its
//    positive prompts, minus the same over its negative prompts, L2-normalised.
//  - fitted: a multinomial logistic regression (L2-regularised, no bias, as a
//    router has none) from each positive-prompt token's state to the index of
//    the expert whose prompt it is; the rows are its weights, scaled so that
//    on those tokens the router's softmax gives its first choice a mean
//    probability of kFittedConfidence: decisive, yet not saturated.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "harness/merge/gate_builder.h"
#include "harness/model/model_weights.h"
#include "harness/model/transformer.h"

namespace moebench::merge {

constexpr double kFittedConfidence = 0.8;

// A left-padded prompt batch as the gate forwards run it: positions from 0,
// pads included (transformers' semantics), pads masked as keys (gate_builder.cpp).
model::ForwardBatch prompt_forward_batch(const PromptBatch& batch, at::Device device);

// [L, E, H] float32 on the device of `merged` (a float32 assembly of the
// recipe's merged model; its own routers are ignored). REQUIRES: as many
// batches as experts; an expert with no positive prompts gets a zero row
// (fitted: the regression runs over the other experts).
at::Tensor router_state_gate_tensor(const std::shared_ptr<const model::ModelWeights>& merged,
                                    const std::vector<PromptBatch>& positives,
                                    const std::vector<PromptBatch>& negatives, bool fitted);

// The fitted rows [E, H] for token states `x` [N, H] labelled `y` [N] (0..E-1).
at::Tensor fit_router_rows(const at::Tensor& x, const at::Tensor& y, int64_t experts);

}  // namespace moebench::merge

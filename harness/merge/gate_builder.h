// Router weights ("gates") of a frankenMoE, computed exactly as mergekit's
// mergekit/moe/router.py does (steps: ../shared/reference/README.md, merge/).
// Always float32, on the device MergeOptions::device names.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/io/tokenizer.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/merge_options.h"

namespace moebench::model {
struct ModelWeights;
}  // namespace moebench::model

namespace moebench::merge {

// Gates of every layer: row e of layer l's router matrix [experts, hidden].
struct GateSet {
  int64_t layers = 0, experts = 0, hidden = 0;
  std::vector<float> values;  // [layers][experts][hidden]

  const float* row(int64_t layer, int64_t expert) const {
    return values.data() + (layer * experts + expert) * hidden;
  }
  // All-zero gates of a merged model's shape (every expert equally likely).
  static GateSet zeros(const io::ModelConfig& merged);
};

// One expert's prompts as mergekit feeds them to the base: each prompt is
// BOS + text (SentencePiece with its dummy prefix, i.e. HF's legacy Llama
// tokenizer; no other special tokens), the batch LEFT-padded with pad = BOS
// (EOS when the tokenizer has no BOS), mask 0 on the pads.
struct PromptBatch {
  std::vector<std::vector<int32_t>> ids;   // [prompts][T]
  std::vector<std::vector<uint8_t>> mask;  // [prompts][T]
};
// InputError naming `field` when a prompt (BOS included) is longer than
// `max_tokens` (0: no limit).
PromptBatch tokenize_prompts(const io::Tokenizer& tokenizer, const std::vector<std::string>& prompts,
                             int64_t max_tokens = 0, const std::string& field = "");

// The device compute_gates runs on: options.device, "auto" resolved.
std::string gate_device(const MergeOptions& options);

// All gates for the recipe of `inputs` (opened with InputScope::GatesOnly or
// Full). Per gate mode:
//  - hidden / hidden_last: the base's residual stream entering each layer
//    (transformers' hidden_states[0..L-1]) at the last position, averaged over
//    the prompts;
//  - hidden_avg: the same averaged over all T positions first, pads included
//    (mergekit divides by the padded length and does not mask);
//  - cheap_embed: the sum of the embedding rows of every non-pad token of every
//    prompt, L2-normalised, the same vector for every layer;
//  then, per expert, the negative prompts' vector is subtracted and the result
//  L2-normalised per layer (norm clamped at 1e-8, as mergekit).
//  - random: N(0, 1); uniform_random: U(-1/sqrt(H), 1/sqrt(H)), drawn as one
//    [L, E, H] tensor from a torch CPU generator seeded with options.seed (the
//    generator `torch.manual_seed(seed)` sets up). mergekit draws from torch's
//    unseeded global RNG, so no run of it can be reproduced bit for bit.
// The hidden modes run the base in float32 with positions counted from 0
// including the pads and pads masked as keys (transformers' semantics).
// An expert without positive prompts (an ablation leaving its prompts out)
// gets a zero row: the router then prefers it to no other expert.
// router_state / fitted run the merged model: `merged`, an assembly of
// `inputs` in float32 on the gate device (its routers are ignored), or when
// null one made here (reading every expert once).
GateSet compute_gates(const MergeInputs& inputs, const MergeOptions& options,
                      std::shared_ptr<const model::ModelWeights> merged = nullptr);

}  // namespace moebench::merge

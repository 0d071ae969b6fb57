// Parameter counts computed from config.json alone (no weights needed), as
// `moebench inspect` prints them and model cards quote them.
#pragma once

#include <cstdint>

#include "harness/io/model_config.h"

namespace moebench::io {

struct ParameterCounts {
  int64_t total = 0;   // every weight in the checkpoint
  int64_t active = 0;  // weights one token touches: experts_per_token experts per layer
};

// Bias-free Llama/Mistral/Mixtral layout: per layer q/k/v/o projections, two
// RMSNorm vectors, a SwiGLU MLP per expert (one for dense models) and, for MoE,
// the router; plus embeddings, the final norm and lm_head unless tied.
// The router counts as active: every token runs it.
// Throws InputError if the count does not fit in 64 bits.
ParameterCounts count_parameters(const ModelConfig& c);

}  // namespace moebench::io

// config.json of a merged Mixtral, as mergekit-moe writes it:
// MixtralConfig(**MistralConfig(**base.to_dict()).to_dict()) with the experts
// filled in (mergekit/moe/mixtral.py, _generate_config).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "harness/io/model_config.h"

namespace moebench::merge {

// The keys mergekit's config carries, in the order transformers writes them:
// architectures ["MixtralForCausalLM"], model_type "mixtral", the base's sizes,
// rope_theta, rms_norm_eps, tie_word_embeddings, token ids and head_dim (values
// as the base's config class resolved them, so Mixtral's different defaults -
// rope_theta 1e6, rms_norm_eps 1e-5 - never leak in), sliding_window null,
// num_local_experts, num_experts_per_tok, torch_dtype, MixtralConfig's defaults
// (router_aux_loss_coef 0.001, router_jitter_noise 0, output_router_logits false,
// attention_dropout 0, initializer_range 0.02, use_cache true), then the base's
// remaining keys (attention_bias, rope_scaling, ...), as transformers carries
// unknown kwargs over. Keys describing the writer (transformers_version,
// _name_or_path, auto_map) and the v5 spelling "dtype" are dropped.
nlohmann::ordered_json mixtral_config_json(const io::ModelConfig& base, int64_t num_experts,
                                           int64_t experts_per_token, const std::string& dtype);

}  // namespace moebench::merge

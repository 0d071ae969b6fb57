#include "harness/merge/mixtral_config.h"

#include <set>

namespace moebench::merge {

using nlohmann::json;
using nlohmann::ordered_json;

ordered_json mixtral_config_json(const io::ModelConfig& base, int64_t num_experts,
                                 int64_t experts_per_token, const std::string& dtype) {
  const json& raw = base.raw;
  // A raw value when the base has one, else the config class's default.
  auto raw_or = [&](const char* key, const json& fallback) {
    auto it = raw.find(key);
    return it != raw.end() && !it->is_null() ? *it : fallback;
  };
  ordered_json c = ordered_json::object();
  c["architectures"] = {"MixtralForCausalLM"};
  c["model_type"] = "mixtral";
  c["hidden_size"] = base.hidden_size;
  c["intermediate_size"] = base.intermediate_size;
  c["num_hidden_layers"] = base.num_layers;
  c["num_attention_heads"] = base.num_heads;
  c["num_key_value_heads"] = base.num_kv_heads;
  c["vocab_size"] = base.vocab_size;
  c["max_position_embeddings"] = base.max_position_embeddings;
  c["rms_norm_eps"] = base.rms_norm_eps;
  c["rope_theta"] = base.rope_theta;
  c["tie_word_embeddings"] = base.tie_word_embeddings;
  c["hidden_act"] = raw_or("hidden_act", "silu");
  c["bos_token_id"] = raw_or("bos_token_id", 1);
  c["eos_token_id"] = raw_or("eos_token_id", 2);
  c["head_dim"] = base.head_dim;
  c["sliding_window"] = nullptr;  // mergekit sets it to None for every base
  c["num_local_experts"] = num_experts;
  c["num_experts_per_tok"] = experts_per_token;
  c["torch_dtype"] = dtype;
  c["attention_dropout"] = raw_or("attention_dropout", 0.0);
  c["initializer_range"] = raw_or("initializer_range", 0.02);
  c["output_router_logits"] = false;
  c["router_aux_loss_coef"] = 0.001;
  c["router_jitter_noise"] = 0.0;
  c["use_cache"] = raw_or("use_cache", true);
  static const std::set<std::string> kDropped = {"transformers_version", "_name_or_path", "auto_map",
                                                 "dtype", "num_local_experts", "num_experts_per_tok"};
  for (const auto& [key, value] : raw.items())
    if (!c.contains(key) && !kDropped.count(key)) c[key] = value;
  return c;
}

}  // namespace moebench::merge

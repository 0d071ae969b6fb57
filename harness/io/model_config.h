// config.json of a Hugging Face Llama / Mistral / Mixtral directory, parsed and
// validated once so that every later layer can trust the numbers.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace moebench::io {

// RoPE frequency scaling, as in transformers' modeling_rope_utils.
struct RopeScaling {
  enum class Type { None, Linear, Llama3 };
  Type type = Type::None;
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  int64_t original_max_position_embeddings = 8192;       // llama3
};

// Every size is validated positive; head counts divide evenly; for Mixtral
// 1 <= experts_per_token <= num_experts. Absent optional keys take the
// defaults of the matching transformers config class (see model_config.cpp).
struct ModelConfig {
  std::string architecture;  // "LlamaForCausalLM" | "MistralForCausalLM" | "MixtralForCausalLM"
  std::string model_type;    // "llama" | "mistral" | "mixtral" (derived from architecture)
  int64_t hidden_size = 0, intermediate_size = 0, num_layers = 0, num_heads = 0,
          num_kv_heads = 0, head_dim = 0, vocab_size = 0;
  int64_t max_position_embeddings = 0;
  double rope_theta = 10000.0, rms_norm_eps = 1e-6;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  std::optional<int64_t> sliding_window;  // null/absent -> nullopt; always nullopt for Llama
  int64_t num_experts = 0;                // num_local_experts; 0 for dense models
  int64_t experts_per_token = 0;          // num_experts_per_tok; 0 for dense models
  std::optional<int64_t> bos_token_id, pad_token_id;
  std::vector<int64_t> eos_token_ids;  // eos_token_id may be an int or a list
  std::string torch_dtype;             // "float32", "bfloat16", ... (v5 key "dtype"); may be empty
  nlohmann::json raw;                  // the whole file, kept for writers
  std::string file;                    // the path it was read from (for messages); may be empty

  bool is_moe() const { return num_experts > 0; }

  // `where` names the source (a file path) in every error message.
  // Throws InputError on any missing, mistyped or out-of-range field.
  static ModelConfig from_json(const nlohmann::json& j, const std::string& where);
  // Reads and parses model_dir/config.json; InputError when missing or malformed.
  static ModelConfig load(const std::filesystem::path& model_dir);
};

// The architectures (first entry of config.json's `architectures`) we can run.
std::vector<std::string> supported_architectures();

}  // namespace moebench::io

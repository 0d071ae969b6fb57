// Generates small random Llama / Mistral / Mixtral checkpoints in Hugging Face
// format, with a SentencePiece tokenizer trained on the built-in corpus, so the
// tests and the demo run on a fresh clone without downloading any weights.
// Plain C++ (no torch): the io layer writes the files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/model/tiny_corpus.h"

namespace moebench::model {

struct TinyModelSpec {
  std::string arch = "mixtral";  // "llama" | "mistral" | "mixtral"
  int64_t hidden_size = 64, intermediate_size = 160, num_layers = 2, num_heads = 4,
          num_kv_heads = 2;
  int64_t vocab_size = 512;                        // also the trained tokenizer's vocabulary size
  int64_t num_experts = 4, experts_per_token = 2;  // mixtral only
  int64_t max_position_embeddings = 512;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;
  // Mixtral tensor layout: "v4" (block_sparse_moe.experts.E.w1/w2/w3, one
  // matrix per expert) or "v5" (mlp.experts.gate_up_proj [E,2I,H] with gate
  // rows then up rows, mlp.experts.down_proj [E,H,I], mlp.gate.weight). Both
  // layouts of one spec hold the same numbers, so they describe the same model.
  std::string layout = "v4";
  uint64_t seed = 1234;
  // Matrices ~ N(0, init_std^2); RMSNorm weights 1 + N(0, 0.1^2); router rows
  // N(0, 1) so that routing is decisive rather than near-uniform.
  float init_std = 0.02f;
  // > 1 writes model-0000i-of-0000N.safetensors (contiguous layer ranges) and
  // model.safetensors.index.json; must not exceed num_layers.
  int64_t shard_count = 1;
  // Stored dtype: "float32", or "bfloat16" (the same float32 draws rounded to
  // nearest even) to halve the disk and time of large benchmark models.
  std::string dtype = "float32";
};

// Throws InputError "tiny model spec: <field> = <value> ..." for the first bad
// field. make_tiny_model calls it; exposed so a CLI can check flags early.
void validate_tiny_model_spec(const TinyModelSpec& spec);

// The config.json of a spec, with the keys and order transformers'
// save_pretrained writes for its class.
nlohmann::ordered_json tiny_config_json(const TinyModelSpec& spec);

// Writes config.json, model.safetensors (or shards + index), tokenizer.model,
// tokenizer_config.json and special_tokens_map.json into out_dir. The same spec
// gives byte-identical files on any machine: every tensor comes from its own
// RNG stream keyed by (seed, tensor name), so sharding and layout do not change
// the values. Peak memory is one tensor. Atomic: the directory is built in a
// temporary sibling and renamed into place, so a failure leaves no out_dir.
// out_dir must not exist unless `overwrite` (then an existing directory is
// replaced only once the new one is complete). Throws InputError for a bad spec
// (naming the field and value) or an unusable out_dir.
void make_tiny_model(const TinyModelSpec& spec, const std::filesystem::path& out_dir,
                     bool overwrite = false);

}  // namespace moebench::model

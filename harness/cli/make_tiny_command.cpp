// moebench make-tiny --arch mixtral --out DIR: a small random model with its own
// tokenizer, for tests, demos and benchmarks.
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/model/tiny_model.h"

namespace moebench::cli {

void register_make_tiny(CLI::App& app) {
  struct Args {
    model::TinyModelSpec spec;
    std::string out;
    bool overwrite = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "make-tiny", "Write a random Llama/Mistral/Mixtral model with a trained tokenizer");
  auto& s = a->spec;
  cmd->add_option("--out", a->out, "Output directory (must not exist)")->required();
  cmd->add_option("--arch", s.arch, "llama, mistral or mixtral")->capture_default_str();
  cmd->add_option("--hidden", s.hidden_size, "hidden_size")->capture_default_str();
  cmd->add_option("--intermediate", s.intermediate_size, "intermediate_size")->capture_default_str();
  cmd->add_option("--layers", s.num_layers, "num_hidden_layers")->capture_default_str();
  cmd->add_option("--heads", s.num_heads, "num_attention_heads")->capture_default_str();
  cmd->add_option("--kv-heads", s.num_kv_heads, "num_key_value_heads")->capture_default_str();
  cmd->add_option("--vocab", s.vocab_size, "vocabulary size (tokenizer trained to it)")
      ->capture_default_str();
  cmd->add_option("--experts", s.num_experts, "num_local_experts (mixtral)")->capture_default_str();
  cmd->add_option("--top-k", s.experts_per_token, "num_experts_per_tok (mixtral)")
      ->capture_default_str();
  cmd->add_option("--context", s.max_position_embeddings, "max_position_embeddings")
      ->capture_default_str();
  cmd->add_option("--layout", s.layout, "mixtral tensor layout: v4 or v5")->capture_default_str();
  cmd->add_option("--shards", s.shard_count, "number of safetensors shards")->capture_default_str();
  cmd->add_option("--seed", s.seed, "random seed")->capture_default_str();
  cmd->add_flag("--tie-embeddings", s.tie_word_embeddings, "tie lm_head to the embeddings");
  cmd->add_flag("--overwrite", a->overwrite, "replace an existing output directory");
  cmd->callback([a] {
    model::make_tiny_model(a->spec, a->out, a->overwrite);
    std::cout << "wrote " << a->spec.arch << " model to " << a->out << "\n";
  });
}

}  // namespace moebench::cli

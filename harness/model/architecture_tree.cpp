#include "harness/model/architecture_tree.h"

#include <fmt/format.h>

namespace moebench::model {
namespace {

std::string linear(int64_t in, int64_t out) {
  return fmt::format("Linear(in_features={}, out_features={}, bias=False)", in, out);
}

// "Mixtral" from "MixtralForCausalLM": transformers names every module after it.
std::string family(const io::ModelConfig& c) {
  const std::string suffix = "ForCausalLM";
  const std::string& a = c.architecture;
  return a.size() > suffix.size() ? a.substr(0, a.size() - suffix.size()) : a;
}

}  // namespace

std::string architecture_tree(const io::ModelConfig& c) {
  const std::string f = family(c);
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  const std::string norm = fmt::format("{}RMSNorm(({},), eps={})", f, H, c.rms_norm_eps);
  std::string s;
  auto line = [&s](int indent, const std::string& text) {
    s += std::string(indent * 2, ' ') + text + "\n";
  };
  line(0, c.architecture + "(");
  line(1, fmt::format("(model): {}Model(", f));
  line(2, fmt::format("(embed_tokens): Embedding({}, {})", c.vocab_size, H));
  line(2, "(layers): ModuleList(");
  line(3, fmt::format("(0-{}): {} x {}DecoderLayer(", c.num_layers - 1, c.num_layers, f));
  line(4, fmt::format("(self_attn): {}Attention(", f));
  line(5, "(q_proj): " + linear(H, c.num_heads * c.head_dim));
  line(5, "(k_proj): " + linear(H, c.num_kv_heads * c.head_dim));
  line(5, "(v_proj): " + linear(H, c.num_kv_heads * c.head_dim));
  line(5, "(o_proj): " + linear(c.num_heads * c.head_dim, H));
  line(4, ")");
  if (c.is_moe()) {
    line(4, fmt::format("(block_sparse_moe): {}SparseMoeBlock(top_k={})", f, c.experts_per_token));
    line(5, "(gate): " + linear(H, c.num_experts));
    line(5, "(experts): ModuleList(");
    line(6, fmt::format("(0-{}): {} x {}BlockSparseTop2MLP(", c.num_experts - 1, c.num_experts, f));
    line(7, "(w1): " + linear(H, I));
    line(7, "(w2): " + linear(I, H));
    line(7, "(w3): " + linear(H, I));
    line(7, "(act_fn): SiLU()");
    line(6, ")");
    line(5, ")");
    line(4, ")");
  } else {
    line(4, fmt::format("(mlp): {}MLP(", f));
    line(5, "(gate_proj): " + linear(H, I));
    line(5, "(up_proj): " + linear(H, I));
    line(5, "(down_proj): " + linear(I, H));
    line(5, "(act_fn): SiLU()");
    line(4, ")");
  }
  line(4, "(input_layernorm): " + norm);
  line(4, "(post_attention_layernorm): " + norm);
  line(3, ")");
  line(2, ")");
  line(2, "(norm): " + norm);
  line(2, fmt::format("(rotary_emb): RotaryEmbedding(head_dim={}, theta={})", c.head_dim,
                      c.rope_theta));
  line(1, ")");
  line(1, "(lm_head): " + linear(H, c.vocab_size) +
              (c.tie_word_embeddings ? "  # tied to embed_tokens" : ""));
  line(0, ")");
  return s;
}

}  // namespace moebench::model

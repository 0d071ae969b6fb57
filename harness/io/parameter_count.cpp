#include "harness/io/parameter_count.h"

#include "harness/util/error.h"

namespace moebench::io {
namespace {

// Sizes are validated below 2^31, but their products over layers and experts
// can still overflow for absurd configs: check instead of wrapping silently.
class CheckedSum {
 public:
  explicit CheckedSum(const ModelConfig& c) : config_(c) {}
  int64_t mul(int64_t a, int64_t b) const {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) overflow();
    return r;
  }
  int64_t add(int64_t a, int64_t b) const {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) overflow();
    return r;
  }

 private:
  [[noreturn]] void overflow() const {
    fail_input(config_.architecture, "parameter count overflows 64 bits (hidden_size {}, {} layers, {} experts)",
               config_.hidden_size, config_.num_layers, config_.num_experts);
  }
  const ModelConfig& config_;
};

}  // namespace

ParameterCounts count_parameters(const ModelConfig& c) {
  CheckedSum s(c);
  const int64_t h = c.hidden_size;
  const int64_t q_width = s.mul(c.num_heads, c.head_dim);
  const int64_t kv_width = s.mul(c.num_kv_heads, c.head_dim);
  // q and o are [heads*head_dim, hidden] and its transpose; k and v [kv_heads*head_dim, hidden].
  const int64_t attention = s.mul(h, s.add(s.mul(2, q_width), s.mul(2, kv_width)));
  const int64_t norms = s.mul(2, h);
  const int64_t mlp = s.mul(3, s.mul(h, c.intermediate_size));  // gate, up, down
  const int64_t router = s.mul(c.num_experts, h);
  const int64_t experts_total = c.is_moe() ? c.num_experts : 1;
  const int64_t experts_active = c.is_moe() ? c.experts_per_token : 1;

  const int64_t shared = s.add(attention, s.add(norms, router));
  const int64_t layer_total = s.add(shared, s.mul(experts_total, mlp));
  const int64_t layer_active = s.add(shared, s.mul(experts_active, mlp));
  const int64_t embeddings = s.mul(c.vocab_size, h);
  const int64_t outside = s.add(s.add(embeddings, h), c.tie_word_embeddings ? 0 : embeddings);

  ParameterCounts counts;
  counts.total = s.add(s.mul(c.num_layers, layer_total), outside);
  counts.active = s.add(s.mul(c.num_layers, layer_active), outside);
  return counts;
}

}  // namespace moebench::io

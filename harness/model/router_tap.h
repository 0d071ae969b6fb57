// The router tap: how callers watch Mixtral routing without the model knowing
// who listens (a store, a test, the `logits --routing` command).
//
// Zero cost when no one listens: the model only copies routing decisions to
// the host when a sink is passed to the forward pass, and then once per pass:
// the sink hears every MoE layer's event, in layer order, after the last layer.
#pragma once

#include <cstdint>

namespace moebench::model {

// One MoE layer's routing decisions for one forward pass over a [batch, seq]
// block of tokens. All arrays are row-major, host memory, valid only during
// RoutingSink::on_routing.
struct RoutingEvent {
  int layer = 0;
  int64_t batch = 0, seq = 0;   // B, T of this forward pass
  int64_t top_k = 0, num_experts = 0;
  const int32_t* expert_ids;    // [B*T*top_k], descending router probability
  const float* weights;         // [B*T*top_k], renormalised to sum 1 over top_k (fp32)
  const float* probabilities;   // [B*T*num_experts] softmax over all experts, or nullptr
                                // unless the sink wants_probabilities()
  const int64_t* positions;     // [B*T] absolute position of each token in its sequence
  const uint8_t* valid;         // [B*T] 1 for a real token, 0 for padding
  const int64_t* row_request;   // [B] caller's request index of each batch row, or nullptr
  // [B*T] the input token at each position (what the router saw), or nullptr:
  // reports colour a document's tokens by their experts.
  const int32_t* token_ids = nullptr;
  // True for a generation's decode steps (generated tokens fed back through
  // the KV cache), false for prefill and scoring passes: reports count
  // prompt and generated tokens apart.
  bool decode = false;
};

class RoutingSink {
 public:
  virtual ~RoutingSink() = default;
  // Full router probabilities cost an extra [tokens x experts] copy per layer.
  virtual bool wants_probabilities() const { return false; }
  virtual void on_routing(const RoutingEvent& event) = 0;
};

}  // namespace moebench::model

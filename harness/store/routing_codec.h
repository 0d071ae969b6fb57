// How routing logs are stored (SCHEMA.md, "routing"): per sample and MoE
// layer, one blob of expert ids (1 byte each, 2 when a model has more than 256
// experts) and one of fp16 weights, both little-endian, token-major
// ([token][k], k in descending router probability), optionally zstd-compressed.
// routing_stats.h summarises the same data for the aggregate tables.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace moebench::store {

// IEEE binary16 <-> binary32; rounding to nearest, ties to even; overflow to
// infinity, NaN stays NaN (quiet), subnormals kept. Inline fast paths for
// normal numbers (every routing weight above 2^-14): these run for every
// token at every layer, inside the evaluation's time budget.
uint16_t fp16_from_float_slow(float value);
float float_from_fp16_slow(uint16_t half);

inline uint16_t fp16_from_float(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint32_t abs = bits & 0x7FFFFFFFu;
  if (abs < 0x38800000u || abs >= 0x47800000u) return fp16_from_float_slow(value);
  // 2^-14 <= |x| < 2^16: rebias the exponent (127 -> 15) and round the 13
  // dropped mantissa bits to nearest even; a carry may reach infinity, rightly.
  const uint32_t rounded = abs + 0xFFFu + ((abs >> 13) & 1u);
  return static_cast<uint16_t>(((bits >> 16) & 0x8000u) | ((rounded - 0x38000000u) >> 13));
}

inline float float_from_fp16(uint16_t half) {
  const uint32_t exponent = (half >> 10) & 0x1Fu;
  if (exponent == 0 || exponent == 0x1F) return float_from_fp16_slow(half);
  const uint32_t bits = ((half & 0x8000u) << 16) | ((exponent + 112u) << 23) | ((half & 0x3FFu) << 13);
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// A run of consecutive positions of one request of a sample. The tokens of a
// sample's routing rows are these runs concatenated, in this order.
struct RoutingSegment {
  int32_t request = 0;         // ordinal of the request within its document (0, 1, ...)
  int64_t first_position = 0;  // absolute position of the run's first token
  int64_t tokens = 0;
  bool operator==(const RoutingSegment& o) const {
    return request == o.request && first_position == o.first_position && tokens == o.tokens;
  }
};

// One sample's routing at one MoE layer.
struct LayerRouting {
  int32_t layer = 0;
  int32_t top_k = 0, num_experts = 0;
  std::vector<int32_t> expert_ids;  // [tokens * top_k]
  std::vector<float> weights;       // [tokens * top_k], renormalised over the k
  int64_t tokens() const { return top_k > 0 ? static_cast<int64_t>(expert_ids.size()) / top_k : 0; }
};

struct EncodedRouting {
  std::string expert_ids, weights;  // the two BLOBs
  bool zstd = false;                // both compressed (only when that is smaller)
};

// zstd_level 0 stores raw bytes. Throws std::invalid_argument for ids outside
// [0, num_experts) or mismatched sizes (a bug upstream, not user input).
EncodedRouting encode_routing(const LayerRouting& routing, int zstd_level);
// The inverse; `where` names the row in messages. Throws StoreError when the
// blobs do not hold tokens * top_k entries or an id is out of range.
LayerRouting decode_routing(const EncodedRouting& blobs, int32_t layer, int32_t top_k,
                            int32_t num_experts, int64_t tokens, const std::string& where);

// Segments as int64 little-endian triples (request, first_position, tokens).
std::string encode_segments(const std::vector<RoutingSegment>& segments);
std::vector<RoutingSegment> decode_segments(std::string_view blob, const std::string& where);

}  // namespace moebench::store

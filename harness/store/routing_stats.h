// The routing statistics the aggregate tables hold (routing_expert_stats,
// routing_layer_stats), so reports read counts instead of decoding blobs.
// Everything here is additive over tokens, samples, shards; the entropies
// are recomputed from the sums.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/store/routing_codec.h"

namespace moebench::store {

// Statistics of one MoE layer over some tokens.
struct RoutingStats {
  int32_t layer = 0, top_k = 0, num_experts = 0;
  int64_t tokens = 0;
  int64_t pairs = 0;       // consecutive-token pairs (adjacent positions of one request)
  int64_t same_first = 0;  // pairs whose first choices are equal
  // Pairs whose top-k sets share an expert: the Mixtral paper's "first or
  // second choice" repetition (Table 5; 46% for uniform top-2 of 8).
  int64_t same_topk = 0;
  std::vector<int64_t> assigned;  // [num_experts] tokens with the expert among their top-k
  std::vector<int64_t> first;     // [num_experts] tokens with the expert first
  // [num_experts] sum of the expert's weights, rounded to fp16 as stored;
  // exact (a multiple of 2^-24), so sums agree whatever their order.
  std::vector<double> mass;

  // Adds `other`; throws std::invalid_argument when the layer shapes differ.
  void add(const RoutingStats& other);
};

// Statistics of `routing`, whose tokens are laid out as `segments` say
// (pairs span two segments only where the second continues the first: same
// request, adjacent positions, as a generation's decode segment its prompt's). Weights are rounded to fp16 first, so sums
// recomputed from decoded blobs match exactly.
// REQUIRES: the segments' tokens add up to routing.tokens().
RoutingStats routing_stats(const LayerRouting& routing, const std::vector<RoutingSegment>& segments);

// Shannon entropy in bits of the distribution proportional to `usage`
// (0 when empty or all zero); at most log2(usage.size()). The layer tables
// store it of `assigned` (entropy_bits) and of `mass` (weighted_entropy_bits).
double entropy_bits(const std::vector<double>& usage);

}  // namespace moebench::store

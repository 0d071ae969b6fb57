#include "harness/store/routing_stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace moebench::store {

void RoutingStats::add(const RoutingStats& o) {
  if (o.layer != layer || o.top_k != top_k || o.num_experts != num_experts)
    throw std::invalid_argument(
        "RoutingStats::add: layer " + std::to_string(layer) + " (top-" + std::to_string(top_k) +
        " of " + std::to_string(num_experts) + ") vs layer " + std::to_string(o.layer) +
        " (top-" + std::to_string(o.top_k) + " of " + std::to_string(o.num_experts) + ")");
  tokens += o.tokens;
  pairs += o.pairs;
  same_first += o.same_first;
  same_topk += o.same_topk;
  for (int32_t e = 0; e < num_experts; ++e) {
    assigned[e] += o.assigned[e];
    first[e] += o.first[e];
    mass[e] += o.mass[e];
  }
}

namespace {

// An fp16 value in units of 2^-24, the spacing of the smallest subnormal:
// every finite half is an integer number of them, so weight mass adds up
// exactly (in int64 here, and in the REAL column, where sums stay below 2^53
// units), whatever the order of additions. Inf and NaN count as 0.
inline int64_t fp16_units(uint16_t h) {
  const int64_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  if (exponent == 0x1F) return 0;
  const int64_t units = exponent == 0 ? mantissa : (1024 + mantissa) << (exponent - 1);
  return (h & 0x8000) ? -units : units;
}

constexpr double kUnit = 1.0 / (1 << 24);

}  // namespace

RoutingStats routing_stats(const LayerRouting& r, const std::vector<RoutingSegment>& segments) {
  RoutingStats s;
  s.layer = r.layer;
  s.top_k = r.top_k;
  s.num_experts = r.num_experts;
  s.assigned.assign(r.num_experts, 0);
  s.first.assign(r.num_experts, 0);
  s.mass.assign(r.num_experts, 0.0);
  const int64_t k = r.top_k, n = r.tokens();
  s.tokens = n;
  // Raw pointers: through vector::operator[] the compiler reloads the data
  // pointers after every store (they might alias), at every token and layer.
  std::vector<int64_t> units(r.num_experts, 0);
  int64_t *first = s.first.data(), *assigned = s.assigned.data(), *mass = units.data();
  // Each token's top-k as a bit set (up to 64 experts) makes the pair test one AND.
  const bool use_masks = r.num_experts <= 64;
  std::vector<uint64_t> masks(use_masks ? n : 0);
  for (int64_t t = 0; t < n; ++t) {
    const int32_t* ids = &r.expert_ids[t * k];
    const float* weights = &r.weights[t * k];
    ++first[ids[0]];
    uint64_t mask = 0;
    for (int64_t j = 0; j < k; ++j) {
      ++assigned[ids[j]];
      mass[ids[j]] += fp16_units(fp16_from_float(weights[j]));
      mask |= uint64_t{1} << (ids[j] & 63);
    }
    if (use_masks) masks[t] = mask;
  }
  for (int32_t e = 0; e < r.num_experts; ++e) s.mass[e] = static_cast<double>(units[e]) * kUnit;

  int64_t start = 0;
  const RoutingSegment* previous = nullptr;
  for (const RoutingSegment& seg : segments) {
    const int64_t end = std::min(start + seg.tokens, n);
    // A segment that continues the previous one (same request, next
    // position: a generation's decode steps after its prompt) pairs its first
    // token with the previous segment's last.
    const bool continues = previous && start > 0 && previous->request == seg.request &&
                           previous->first_position + previous->tokens == seg.first_position;
    const int64_t first_pair = continues ? start : start + 1;
    previous = &seg;
    for (int64_t t = first_pair; t < end; ++t) {
      const int32_t* prev = &r.expert_ids[(t - 1) * k];
      const int32_t* cur = &r.expert_ids[t * k];
      s.same_first += prev[0] == cur[0];
      if (use_masks) {
        s.same_topk += (masks[t - 1] & masks[t]) != 0;
        continue;
      }
      bool shared = false;
      for (int64_t a = 0; a < k && !shared; ++a)
        for (int64_t b = 0; b < k && !shared; ++b) shared = prev[a] == cur[b];
      s.same_topk += shared;
    }
    s.pairs += std::max<int64_t>(0, end - first_pair);
    start += seg.tokens;
  }
  return s;
}

double entropy_bits(const std::vector<double>& usage) {
  double total = 0;
  for (double u : usage) total += u;
  if (!(total > 0)) return 0;
  double h = 0;
  for (double u : usage)
    if (u > 0) h -= (u / total) * std::log2(u / total);
  return h;
}

}  // namespace moebench::store

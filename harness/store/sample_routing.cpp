#include "harness/store/sample_routing.h"

#include <algorithm>
#include <stdexcept>

#include "harness/util/error.h"

namespace moebench::store {

const char* routing_mode_name(RoutingMode mode) {
  switch (mode) {
    case RoutingMode::None: return "none";
    case RoutingMode::Summary: return "summary";
    case RoutingMode::Tokens: return "tokens";
  }
  return "?";
}

RoutingMode parse_routing_mode(std::string_view text, const std::string& where) {
  for (RoutingMode m : {RoutingMode::None, RoutingMode::Summary, RoutingMode::Tokens})
    if (text == routing_mode_name(m)) return m;
  fail_input(where, "routing mode '{}' is not none, summary or tokens", text);
}

int64_t SampleRouting::tokens() const { return layers.empty() ? 0 : layers.front().tokens(); }

void SampleRouting::validate(const std::string& where) const {
  int64_t tokens = 0;
  for (const RoutingSegment& s : segments) tokens += s.tokens;
  for (const LayerRouting& l : layers) {
    const size_t n = static_cast<size_t>(tokens) * (l.top_k > 0 ? l.top_k : 0);
    if (l.top_k <= 0 || l.num_experts <= 0 || l.expert_ids.size() != n || l.weights.size() != n)
      throw std::invalid_argument(where + ": layer " + std::to_string(l.layer) + " holds " +
                                  std::to_string(l.expert_ids.size()) + " ids and " +
                                  std::to_string(l.weights.size()) + " weights (top_k " +
                                  std::to_string(l.top_k) + ", experts " +
                                  std::to_string(l.num_experts) + ") for " +
                                  std::to_string(tokens) + " tokens in its segments");
  }
  const auto per_token = [&](size_t n, const char* what) {
    if (n != 0 && n != static_cast<size_t>(tokens))
      throw std::invalid_argument(where + ": " + std::to_string(n) + " " + what + " for " +
                                  std::to_string(tokens) + " tokens in its segments");
  };
  per_token(token_ids.size(), "token_ids");
  per_token(pieces.size(), "pieces");
  for (size_t i = 0; i < decode_segments.size(); ++i) {
    const int32_t d = decode_segments[i];
    if (d < 0 || static_cast<size_t>(d) >= segments.size() || (i > 0 && d <= decode_segments[i - 1]))
      throw std::invalid_argument(where + ": decode segment " + std::to_string(d) +
                                  " is not an ascending index below " + std::to_string(segments.size()) +
                                  " (the segments)");
  }
}

bool SampleRouting::is_decode(size_t segment) const {
  return std::binary_search(decode_segments.begin(), decode_segments.end(), static_cast<int32_t>(segment));
}

}  // namespace moebench::store

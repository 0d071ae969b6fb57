#include "harness/jobs/routing_recorder.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <stdexcept>

#include "harness/util/error.h"

namespace moebench::jobs {

using store::LayerRouting;
using store::RoutingSegment;

void RoutingRecorder::set_request_docs(std::vector<int64_t> doc_of_request) {
  doc_of_request_ = std::move(doc_of_request);
  requests_of_doc_.clear();
  for (size_t i = 0; i < doc_of_request_.size(); ++i)
    requests_of_doc_[doc_of_request_[i]].push_back(static_cast<int64_t>(i));
  buffers_.assign(doc_of_request_.size(), {});
  buffered_ = 0;
}

void RoutingRecorder::on_routing(const model::RoutingEvent& e) {
  const int64_t k = e.top_k;
  for (int64_t b = 0; b < e.batch; ++b) {
    const int64_t request = e.row_request ? e.row_request[b] : b;
    if (request < 0 || request >= static_cast<int64_t>(buffers_.size()))
      throw std::out_of_range("RoutingRecorder: request index " + std::to_string(request) +
                              " has no document (set_request_docs covers " +
                              std::to_string(buffers_.size()) + " requests)");
    auto& layers = buffers_[request];
    if (static_cast<int>(layers.size()) <= e.layer) layers.resize(e.layer + 1);
    Buffer& buf = layers[e.layer];
    buf.top_k = static_cast<int32_t>(k);
    buf.num_experts = static_cast<int32_t>(e.num_experts);
    // Copy each run of real tokens at once (right padding: usually one run per row).
    for (int64_t t = 0; t < e.seq;) {
      const int64_t first = b * e.seq + t;
      if (!e.valid[first]) {  // padding
        ++t;
        continue;
      }
      int64_t end = first;
      while (end < (b + 1) * e.seq && e.valid[end]) ++end;
      buf.positions.insert(buf.positions.end(), e.positions + first, e.positions + end);
      buf.ids.insert(buf.ids.end(), e.expert_ids + first * k, e.expert_ids + end * k);
      buf.weights.insert(buf.weights.end(), e.weights + first * k, e.weights + end * k);
      if (e.token_ids)
        buf.tokens.insert(buf.tokens.end(), e.token_ids + first, e.token_ids + end);
      else
        buf.tokens.insert(buf.tokens.end(), end - first, -1);
      buf.decode.insert(buf.decode.end(), end - first, e.decode ? 1 : 0);
      buffered_ += end - first;
      t += end - first;
    }
  }
}

namespace {

// The order in which to take the buffer's tokens: by position, a position
// reported twice keeping its last report.
std::vector<size_t> position_order(const std::vector<int64_t>& pos) {
  std::vector<size_t> order(pos.size());
  std::iota(order.begin(), order.end(), 0);
  if (std::adjacent_find(pos.begin(), pos.end(), std::greater_equal<int64_t>()) == pos.end())
    return order;  // the common case, reported once in order
  if (!std::is_sorted(pos.begin(), pos.end()))
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pos[a] < pos[b]; });
  std::vector<size_t> kept;
  for (size_t i = 0; i < order.size(); ++i)
    if (i + 1 == order.size() || pos[order[i + 1]] != pos[order[i]]) kept.push_back(order[i]);  // a later report wins
  return kept;
}

// Appends the `k` values of each of `order`'s tokens; one bulk copy when the
// order is the identity.
template <typename T>
void gather(const std::vector<T>& from, const std::vector<size_t>& order, size_t k, std::vector<T>* out) {
  // Distinct indices below n, n of them, ascending: the identity.
  if (order.size() * k == from.size() && std::is_sorted(order.begin(), order.end())) {
    out->insert(out->end(), from.begin(), from.end());
    return;
  }
  for (size_t t : order) out->insert(out->end(), from.begin() + t * k, from.begin() + (t + 1) * k);
}

}  // namespace

SampleRouting RoutingRecorder::take(int64_t doc_id) {
  SampleRouting out;
  auto found = requests_of_doc_.find(doc_id);
  if (found == requests_of_doc_.end()) return out;
  size_t num_layers = 0;
  for (int64_t r : found->second) num_layers = std::max(num_layers, buffers_[r].size());

  for (size_t layer = 0; layer < num_layers; ++layer) {
    LayerRouting routing;
    routing.layer = static_cast<int32_t>(layer);
    std::vector<RoutingSegment> segments;
    std::vector<int32_t> decode_segments, tokens;
    for (size_t ordinal = 0; ordinal < found->second.size(); ++ordinal) {
      auto& layers = buffers_[found->second[ordinal]];
      if (layer >= layers.size() || layers[layer].positions.empty()) continue;
      Buffer& buf = layers[layer];
      routing.top_k = buf.top_k;
      routing.num_experts = buf.num_experts;
      const std::vector<size_t> order = position_order(buf.positions);
      gather(buf.ids, order, buf.top_k, &routing.expert_ids);
      gather(buf.weights, order, buf.top_k, &routing.weights);
      gather(buf.tokens, order, 1, &tokens);
      // A new segment where positions jump, and where decode steps begin
      // (they continue the prefill's positions).
      for (size_t i = 0; i < order.size(); ++i) {
        const int64_t position = buf.positions[order[i]];
        const bool decode = buf.decode[order[i]] != 0;
        if (i > 0 && position == buf.positions[order[i - 1]] + 1 && decode == (buf.decode[order[i - 1]] != 0)) {
          ++segments.back().tokens;
          continue;
        }
        if (decode) decode_segments.push_back(static_cast<int32_t>(segments.size()));
        segments.push_back({static_cast<int32_t>(ordinal), position, 1});
      }
      buffered_ -= static_cast<int64_t>(buf.positions.size());
      buf = Buffer{};
    }
    if (routing.expert_ids.empty()) continue;  // a dense layer: the tap never reports it
    if (out.layers.empty()) {
      out.segments = std::move(segments);
      out.decode_segments = std::move(decode_segments);
      // Ids only when every token came with one (a sink that fills no ids reports -1).
      if (std::find(tokens.begin(), tokens.end(), -1) == tokens.end()) out.token_ids = std::move(tokens);
    } else if (segments != out.segments || decode_segments != out.decode_segments) {
      throw std::logic_error("RoutingRecorder: document " + std::to_string(doc_id) + ": layer " +
                             std::to_string(layer) + " saw other tokens than layer " +
                             std::to_string(out.layers.front().layer));
    }
    out.layers.push_back(std::move(routing));
  }
  requests_of_doc_.erase(found);
  return out;
}

}  // namespace moebench::jobs

// How a sample's routing is stored: the mode and cap of `--routing`, and one
// document's routing (segments and every MoE layer's top-k) as the store
// receives it from whoever recorded it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/store/routing_codec.h"

namespace moebench::store {

// `--routing none|summary|tokens`.
enum class RoutingMode {
  None,     // no routing at all (do not pass the recorder to the engine)
  Summary,  // aggregate tables only
  Tokens,   // aggregates, and per-token rows up to the cap (the default)
};
const char* routing_mode_name(RoutingMode mode);
// Throws InputError "<where>: routing mode 'x' is not none, summary or tokens".
RoutingMode parse_routing_mode(std::string_view text, const std::string& where);

struct RoutingOptions {
  RoutingMode mode = RoutingMode::Tokens;
  // Per (run, model, task): samples keep their per-token rows while the
  // task's logged tokens (one per position, whatever the number of layers)
  // stay within this; a sample is kept whole or not at all, in the order
  // written, and is still counted in the aggregates when it does not fit.
  // Default: ~9.6 MB of blobs per task for a 32-layer top-2 model.
  int64_t token_cap = 50000;
  // zstd level of the blobs; 0 stores raw bytes. Level 1 compresses these
  // 1-2 KB blobs as well as level 3 in ~60% of the time (~28% smaller than
  // raw for independent routing; real routing repeats more and packs better).
  int zstd_level = 1;
};

// One document's routing: the segments (runs of positions per request) and
// every MoE layer's top-k over the tokens of those segments, concatenated.
struct SampleRouting {
  std::vector<RoutingSegment> segments;
  std::vector<LayerRouting> layers;  // ascending layer; every one covers the same tokens
  // Indices into `segments` of the runs of generated tokens fed back (decode
  // steps), ascending; the other segments are prompts and scored text.
  // Stored as samples.routing_decode.
  std::vector<int32_t> decode_segments;
  // The input token of each routed token (the layers' row order), or empty
  // when the recorder did not see them. The store never reads these.
  std::vector<int32_t> token_ids;
  // Each routed token's text, or empty: filled by whoever has the tokenizer
  // (the store never sees one); stored as samples.routing_pieces when the
  // sample is logged token by token, read back by stored_routing.
  std::vector<std::string> pieces;
  int64_t tokens() const;            // per layer
  bool empty() const { return layers.empty(); }
  bool is_decode(size_t segment) const;
  // Throws std::invalid_argument (naming `where`) unless every layer holds
  // the segments' tokens x top_k ids and weights, token_ids and pieces are
  // empty or one per token, and decode_segments are ascending segment indices.
  void validate(const std::string& where) const;
};

}  // namespace moebench::store

// Collects what the router tap reports during Engine::run, per document, so
// that each stored sample carries the top-k experts and weights of every real
// token of its requests, at every MoE layer, in position order.
//
//   RoutingRecorder recorder;
//   recorder.set_request_docs(doc_of_request);      // request index -> doc id
//   engine.run(requests, label, &recorder);
//   record.routing = recorder.take(doc_id);         // for each document
//
// The recorder only collects; ResultsStore::write_samples decides (from
// RoutingOptions and what is already stored) what is kept token by token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harness/model/router_tap.h"
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
  int64_t tokens() const;            // per layer
  bool empty() const { return layers.empty(); }
  // Throws std::invalid_argument (naming `where`) unless every layer holds
  // the segments' tokens x top_k ids and weights.
  void validate(const std::string& where) const;
};

class RoutingRecorder : public model::RoutingSink {
 public:
  // doc_of_request[i]: the document of request index i of the next
  // Engine::run (RoutingEvent::row_request). A document's requests are
  // numbered 0, 1, ... in index order (RoutingSegment::request). Clears
  // anything collected before.
  void set_request_docs(std::vector<int64_t> doc_of_request);

  // Events without row_request map batch row b to request index b.
  // Throws std::out_of_range for a request index without a document.
  void on_routing(const model::RoutingEvent& event) override;

  // The routing of `doc_id`, removed from the recorder; empty when nothing
  // arrived for it. Positions reported twice (a retried batch) keep the last
  // report. Throws std::logic_error when layers saw different tokens.
  SampleRouting take(int64_t doc_id);

  int64_t buffered_tokens() const { return buffered_; }  // real tokens x layers held

 private:
  struct Buffer {  // one request at one layer, in arrival order
    int32_t top_k = 0, num_experts = 0;
    std::vector<int64_t> positions;
    std::vector<int32_t> ids;
    std::vector<float> weights;
  };
  std::vector<int64_t> doc_of_request_;
  std::unordered_map<int64_t, std::vector<int64_t>> requests_of_doc_;
  std::vector<std::vector<Buffer>> buffers_;  // [request index][layer]
  int64_t buffered_ = 0;
};

}  // namespace moebench::store

// Collects what the router tap reports during Engine::run, per document, so
// that each stored sample carries the top-k experts and weights of every real
// token of its requests, at every MoE layer, in position order.
//
//   RoutingRecorder recorder;
//   recorder.set_request_docs(doc_of_request);      // request index -> doc id
//   engine.run(requests, label, &recorder);
//   record.routing = recorder.take(doc_id);         // for each document
//
// The recorder only collects; store::ResultsStore::write_samples decides (from
// RoutingOptions and what is already stored) what is kept token by token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "harness/model/router_tap.h"
#include "harness/store/sample_routing.h"

namespace moebench::jobs {

using store::SampleRouting;

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
  // report. A request's decode steps are a segment of their own after its
  // prefill's (decode_segments lists them), so reports can tell prompt from
  // generated tokens; token_ids are filled when every event carried them.
  // Throws std::logic_error when layers saw different tokens.
  SampleRouting take(int64_t doc_id);

  int64_t buffered_tokens() const { return buffered_; }  // real tokens x layers held

 private:
  struct Buffer {  // one request at one layer, in arrival order
    int32_t top_k = 0, num_experts = 0;
    std::vector<int64_t> positions;
    std::vector<int32_t> ids;
    std::vector<float> weights;
    std::vector<int32_t> tokens;   // per position: the input token (-1 when not reported)
    std::vector<uint8_t> decode;   // per position: 1 for a decode step
  };
  std::vector<int64_t> doc_of_request_;
  std::unordered_map<int64_t, std::vector<int64_t>> requests_of_doc_;
  std::vector<std::vector<Buffer>> buffers_;  // [request index][layer]
  int64_t buffered_ = 0;
};

}  // namespace moebench::jobs

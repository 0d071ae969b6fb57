// What the token-logged samples of a merge say about routing, read in one
// pass per suite: each document's weight share by expert (which expert the
// router favoured), the first choices of prompt and generated tokens apart,
// and a few documents token by token for the token view.
//
// Only samples with routing_logged = 1 carry token rows (the store keeps them
// up to a per-task token cap), so these numbers describe that sample of the
// suite; the aggregate tables (routing_section.h) cover every token.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "reports/report_scope.h"
#include "reports/suite_results.h"

namespace moebench::reports {

struct DocRouting {
  std::string task;
  int64_t doc_id = 0;
  std::vector<double> share;          // weight share by expert over all layers and tokens
  int favoured = -1;                  // argmax of share
  std::vector<int> favoured_by_layer;
};

struct PhaseCounts {
  int64_t tokens = 0;                        // tokens (per layer)
  std::vector<std::vector<int64_t>> first;   // [layer ordinal][expert] first choices
};

struct LoggedRouting {
  std::vector<int32_t> layers;  // MoE layer indices, ascending
  int32_t top_k = 0, num_experts = 0;
  std::vector<DocRouting> documents;
  PhaseCounts prefill, decode;
  nlohmann::ordered_json token_documents = nlohmann::ordered_json::array();
};

struct TokenViewLimits {
  int documents = 3;                  // per suite
  int tokens_per_document = 128;      // the last tokens of the document's first request
  int64_t* token_layers_left = nullptr;  // report-wide budget of tokens x layers, shared
};

LoggedRouting read_logged_routing(const ReportScope& scope, const ModelRef& merge,
                                  const SuiteRef& suite, TokenViewLimits limits);

}  // namespace moebench::reports

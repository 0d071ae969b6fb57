// Whether a recipe's prompts actually separate its experts. mergekit only logs
// "layers ... have degenerate routing parameters" when a layer's router matrix
// has a condition number above 5; moebench reports the numbers behind it, per
// layer, so a user ablating prompts can see which experts collapse together.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/merge/gate_builder.h"

namespace moebench::merge {

struct LayerGateDiagnostics {
  int64_t layer = 0;
  // sigma_max / sigma_min of the [experts, hidden] router matrix (mergekit's
  // torch.linalg.cond); infinity when the rows are linearly dependent.
  double condition_number = 0;
  std::vector<double> cosine;  // [experts * experts] cosine similarity of gate rows
  // The most similar pair of distinct experts (-1 with a single expert).
  int64_t closest_a = -1, closest_b = -1;
  double closest_cosine = 0;
};

struct GateDiagnostics {
  std::vector<LayerGateDiagnostics> layers;
  std::vector<std::string> warnings;  // empty when every layer separates its experts
  // One line per layer: condition number and the closest pair of experts.
  std::string table() const;
};

// mergekit's threshold is max_condition = 5. max_cosine flags a pair of
// experts whose gates point almost the same way, whatever the other experts do.
GateDiagnostics diagnose_gates(const GateSet& gates, double max_condition = 5.0,
                               double max_cosine = 0.95);

}  // namespace moebench::merge

// Whether a recipe's prompts actually separate its experts. mergekit only logs
// "layers ... have degenerate routing parameters" when a layer's router matrix
// has a condition number above 5; moebench reports the numbers behind it, per
// layer, so a user ablating prompts can see which experts collapse together.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/merge/gate_builder.h"
#include "harness/merge/merge_recipe.h"

namespace moebench::merge {

// How a layer's router rows are read. A router only ever compares one token's
// logits with each other: softmax and top-k do not change when every logit
// moves by the same amount, so adding one vector to every row routes exactly
// as before, and only the rows' differences route.
//  - Raw: the rows as they are, as mergekit reads them. Its modes' rows are
//    unit vectors, one per expert's prompts, and these numbers are compared
//    with mergekit's, so they stay its own.
//  - Centered: the rows less their mean row, over the E-1 dimensions that
//    route. `fitted` rows (a logistic regression without bias) are only fixed
//    up to that shared shift, and its L2 penalty drives the mean row to zero,
//    so the raw matrix has rank E-1 and its condition number says nothing
//    about how decisively it routes.
enum class GateReading { Raw, Centered };
// Centered for fitted, Raw for every other mode (mergekit's and router_state,
// whose rows are unit vectors as mergekit's).
GateReading gate_reading(GateMode mode);

struct LayerGateDiagnostics {
  int64_t layer = 0;
  // Raw: sigma_max / sigma_min of the [experts, hidden] router matrix
  // (mergekit's torch.linalg.cond); infinity when the rows are linearly
  // dependent. Centered: sigma_1 / sigma_{E-1} of the matrix less its mean
  // row, whose E-th singular value is always 0 (its rows sum to zero): how
  // unevenly the hidden state moves the E-1 independent logit differences;
  // infinity when some combination of them does not move at all.
  double condition_number = 0;
  bool centered = false;       // read as GateReading::Centered
  std::vector<double> cosine;  // [experts * experts] cosine similarity of gate rows (centered ones if so)
  // The most similar pair of distinct experts (-1 with a single expert).
  int64_t closest_a = -1, closest_b = -1;
  double closest_cosine = 0;
};

struct GateDiagnostics {
  std::vector<LayerGateDiagnostics> layers;
  std::vector<std::string> warnings;  // empty when every layer separates its experts
  // One line per layer: condition number and the closest pair of experts
  // (and a note on the reading when the rows were centered).
  std::string table() const;
};

// mergekit's threshold is max_condition = 5, the same for both readings (rows
// that separate E experts equally well have condition number 1 in both).
// max_cosine flags a pair of experts whose gates point almost the same way,
// whatever the other experts do. Gates of a recipe are read as its mode:
// diagnose_gates(gates, gate_reading(recipe.gate_mode)).
GateDiagnostics diagnose_gates(const GateSet& gates, GateReading reading = GateReading::Raw,
                               double max_condition = 5.0, double max_cosine = 0.95);

}  // namespace moebench::merge

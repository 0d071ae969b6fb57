// The routers' geometry as the results database keeps it (models.gate_stats):
// per MoE layer, the condition number of the [experts, hidden] router matrix
// and the cosine similarity of every pair of its rows. mergekit only warns
// when a merge's routers are degenerate (gate_diagnostics.h); reports show
// the numbers for every merged model, whatever its gates came from.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "harness/merge/gate_diagnostics.h"
#include "harness/model/language_model.h"

namespace moebench::merge {

// Diagnostics of one layer's router weight [experts, hidden] (any dtype or
// device; computed in float64 on the CPU, so the numbers do not depend on how
// the model is held). Condition number sigma_max / sigma_min, infinity when
// the rows are linearly dependent (or outnumber the hidden size).
// Throws std::invalid_argument naming the layer unless `router` is 2-D.
// `reading` Centered: of the rows less their mean (gate_diagnostics.h).
LayerGateDiagnostics router_diagnostics(int64_t layer, const at::Tensor& router,
                                        GateReading reading = GateReading::Raw);

// {"layers": [{"layer": L, "condition_number": x, "cosine": [[1.0, c01, ...], ...]}]},
// in the order given; a condition number that is not finite is null.
nlohmann::json gate_stats_json(const std::vector<LayerGateDiagnostics>& layers);

// Of every MoE layer of `model` (its routers as loaded, after any gates
// file), read as `reading` (that of the mode its gates came from: fitted rows
// centered); {} for a dense model.
nlohmann::json model_gate_stats(const model::LanguageModel& model, GateReading reading = GateReading::Raw);

}  // namespace moebench::merge

// Section 4 of the report: each merge's gates. The statistics of the router
// rows (condition number, pairwise cosine similarity) are computed when the
// model is evaluated and stored with it (models.gate_stats); near-parallel rows
// mean the positive prompts do not tell the experts apart.
#pragma once

#include <nlohmann/json.hpp>

#include "reports/report_scope.h"

namespace moebench::reports {

// SHA-256 of the experts' prompt lists as compact JSON
// ([{"positive": [...], "negative": [...]}, ...] in expert order): equal
// hashes mean the same prompt set whatever the model is called.
std::string prompt_set_hash(const ModelRef& merge);
// The largest off-diagonal entry of a cosine matrix (NaN when none).
double max_off_diagonal(const nlohmann::json& cosine);

nlohmann::ordered_json gates_json(const ReportScope& scope);

}  // namespace moebench::reports

// Section 6 of the report: ablations. Merges of the same base and experts
// (the same recipe with other gate modes, prompt sets, --gates files or
// experts per token) form a family; the member built as its recipe is
// written (its gate_mode and experts_per_token, first evaluated on a tie) is
// the reference, and every other member is compared with it per suite with
// the same paired test as the verdict.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "reports/report_scope.h"
#include "reports/suite_results.h"

namespace moebench::reports {

// Families with at least two members; each member's gate statistics come from
// `gates` (gates_json) by merge name.
nlohmann::ordered_json ablations_json(const ReportScope& scope, const std::vector<SuiteRef>& suites,
                                      const nlohmann::ordered_json& gates);

}  // namespace moebench::reports

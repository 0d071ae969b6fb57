// Section 6 of the report: ablations. Two kinds of family:
//  - "ablation": the variants of one recipe (`moebench ablate`, a plan's
//    `variants:`) with the recipe as written, their reference;
//  - "same_experts": merges of the same base and experts (recipes that differ
//    in gate mode, prompts or experts per token, --gates files), variants
//    aside; the member built as its recipe is written (its gate_mode and
//    experts_per_token, first evaluated on a tie) is the reference.
// Every member is compared with the reference per suite with the same paired
// test as the verdict, and shows its routers' lineage (gate mode, gates hash).
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

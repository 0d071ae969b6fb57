// Section 2 of the report: how each merge routed, per suite and layer, from
// the aggregate tables (every routed token of the run): first-choice shares,
// agreement with the suite's expected expert against chance, how often
// consecutive tokens keep their expert against a uniform router, and load
// balance; plus prompt and generated tokens apart, from the token-logged
// samples (they route differently: decode tokens follow the model's own text).
#pragma once

#include <nlohmann/json.hpp>

#include "reports/logged_routing.h"
#include "reports/report_scope.h"
#include "reports/suite_results.h"

namespace moebench::reports {

// Probability that two independent uniform top-k choices of num_experts share
// an expert: 1 - C(E-k, k) / C(E, k) (k = 1: 1/E).
double uniform_topk_overlap(int64_t num_experts, int64_t top_k);

// One suite's entry of the routing section.
nlohmann::ordered_json routing_suite_json(const ReportScope& scope, const ModelRef& merge,
                                          const SuiteRef& suite, const LoggedRouting& logged);

}  // namespace moebench::reports

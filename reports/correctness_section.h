// Section 3 of the report: routing against correctness. For each document of
// a suite, which expert the router favoured (its weight share over the
// document's tokens) beside which models answered it right, and the oracle
// gap: documents some expert got right and the merge got wrong, which a
// perfect router choosing one expert per document would have won.
//
// The gap counts every document the merge and all its evaluated experts
// scored; "the router favoured an expert that was right" needs token rows, so
// it counts the token-logged documents only (LoggedRouting).
#pragma once

#include <nlohmann/json.hpp>

#include "reports/logged_routing.h"
#include "reports/report_scope.h"
#include "reports/suite_results.h"

namespace moebench::reports {

// `max_documents` bounds the per-document list (the counts use every document).
nlohmann::ordered_json correctness_suite_json(const ReportScope& scope, const ModelRef& merge,
                                              const SuiteRef& suite, const LoggedRouting& logged,
                                              size_t max_documents = 400);

}  // namespace moebench::reports

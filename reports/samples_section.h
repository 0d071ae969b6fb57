// Section 8 of the report: the documents themselves, each with every model's
// answer and score, flagged where a merge was wrong and one of its experts
// right (and the reverse). A run of 100,000 samples cannot go into one page:
// per suite the flagged documents come first, then the rest in document
// order, up to ReportOptions::samples_per_suite and ~1.5 MB of text in all
// (an equal share per suite); texts are cut to 2,000 characters.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "reports/report_scope.h"
#include "reports/suite_results.h"

namespace moebench::reports {

// The answer a stored responses array stands for: a generation's text, or for
// log-likelihood requests the choice with the highest log-probability.
std::string answer_text(const nlohmann::json& responses);

nlohmann::ordered_json samples_json(const ReportScope& scope, const std::vector<SuiteRef>& suites);

}  // namespace moebench::reports

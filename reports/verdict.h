// Section 1 of the report: does each merge beat its experts? Per suite, the
// merge, its base and every evaluated expert with score ± 95% CI, the
// difference to the best expert, and a paired test on the documents both
// scored (McNemar exact for 0/1 metrics, a seeded paired bootstrap otherwise):
// lm-eval compares runs unpaired, which wastes most of the evidence.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "reports/paired_stats.h"
#include "reports/report_scope.h"
#include "reports/suite_results.h"

namespace moebench::reports {

// p below this is called significant (two-sided).
constexpr double kSignificance = 0.05;

nlohmann::ordered_json verdict_json(const ReportScope& scope, const std::vector<SuiteRef>& suites);
// The paired test's JSON (shared by the verdict, ablations and history).
nlohmann::ordered_json comparison_json(const PairedComparison& c);
// "better" in the metric's direction.
bool is_better(double diff, bool higher_is_better);
// The verdict sentences, one per merge (the terminal summary prints them).
std::vector<std::string> verdict_lines(const nlohmann::ordered_json& verdict);

}  // namespace moebench::reports

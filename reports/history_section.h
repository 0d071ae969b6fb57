// Section 7 of the report: history. Every run of the database, per model (by
// name) and suite, oldest first; a point is flagged as a regression when its
// score dropped since the model's previous run by more than the 95% interval
// of the change, paired on the documents both runs scored (a nightly run that
// changes nothing but noise stays unflagged; a real drop on the same
// questions does not hide behind two overlapping unpaired intervals).
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "reports/report_scope.h"
#include "reports/suite_results.h"

namespace moebench::reports {

struct PairedChange {
  double diff = 0;        // mean(current) - mean(previous) on the shared documents
  double half_width = 0;  // 1.96 x sd(d) / sqrt(n), n - 1 in sd; NaN when n < 2
  int64_t n = 0;
  bool regression = false;  // a drop (in the metric's direction) larger than half_width
};
PairedChange paired_change(const DocScores& previous, const DocScores& current,
                           bool higher_is_better);

nlohmann::ordered_json history_json(const ReportScope& scope, const std::vector<SuiteRef>& suites);

}  // namespace moebench::reports

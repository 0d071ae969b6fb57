// The report: the results database -> one document (REPORT_JSON.md), the
// same content for `--json` and for the HTML page (html_report.h). It reads
// only the database, so a report can be rebuilt from a copy of the file on
// any machine, long after the models are gone.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/store/results_store.h"
#include "reports/report_scope.h"

namespace moebench::reports {

// Throws InputError for an unknown --run/--baseline/--model (naming the
// database and the value) and StoreError for an unreadable database.
nlohmann::ordered_json build_report(store::ResultsStore& store, const ReportOptions& options);

// The terminal summary: the run, then one verdict sentence per merge, then
// one line per regression.
std::vector<std::string> summary_lines(const nlohmann::ordered_json& report);

// What `moebench report` does: checks the outputs (files, not the database
// or its -wal/-shm, not one path for both), opens `db` read-only, builds the
// report, and writes the page (`html`) and/or the JSON (`json`), each when
// its path is not empty: both in full beside their final paths, then renamed
// into place, so a failure or a Ctrl-C (Interrupted) leaves neither. Returns
// the summary lines.
struct ReportFiles {
  std::string html, json;
};
std::vector<std::string> write_report(const std::string& db, const ReportOptions& options,
                                      const ReportFiles& files);

}  // namespace moebench::reports

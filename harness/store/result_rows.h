// One row definition, several printers (llama-bench's way): the rows of
// `db runs` and `db scores` as an aligned table, CSV (RFC 4180) or a JSON
// array of row objects. lm-eval's results layout is results_document.h.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/store/store_records.h"

namespace moebench::store {

enum class RowFormat { Table, Csv, Json };

std::string format_runs(const std::vector<RunRow>& runs, RowFormat format);
std::string format_scores(const std::vector<ScoreRow>& scores, RowFormat format);

// A CSV field, quoted when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& value);

}  // namespace moebench::store

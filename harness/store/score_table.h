// The table lm-eval prints after a run (lm_eval/utils.py make_table), from a
// results document (results_document.h):
//   |Tasks|Version|Filter|n-shot|Metric| |Value| |Stderr|
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace moebench::store {

std::string score_table(const nlohmann::ordered_json& results);

}  // namespace moebench::store

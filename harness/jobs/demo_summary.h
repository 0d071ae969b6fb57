// The demo's numbers, read back from the report document it wrote: each
// model's headline score per suite and their mean, and the terminal summary
// that says how each merge did against each expert and the oracle bound.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace moebench::jobs {

struct DemoScores {
  struct Row {
    std::string model, role, gate_variant, label;  // role: base | expert | merge
    std::string ablation;                          // a merge that is an ablation variant: its name
    std::map<std::string, double> value;           // suite -> headline score
    double mean = 0;                               // over every suite
  };
  std::vector<std::string> suites;
  std::vector<Row> rows;  // the base, the experts, the merges (the oracle last)
};

// From a report document (reports/REPORT_JSON.md). InputError when a model
// lacks a score for a suite: the demo's claims need every cell.
DemoScores demo_scores(const nlohmann::json& report);
// {"suites": [...], "models": {name: {role, gate_variant, <suite>: value, mean}}}
nlohmann::ordered_json scores_json(const DemoScores& scores);
// The table, one line per merge against its experts and the oracle, the
// routing agreement of each merge, a line per ablation variant against the
// recipe as written, and where the report is.
std::vector<std::string> demo_summary(const DemoScores& scores, const nlohmann::json& report,
                                      const std::filesystem::path& html);

}  // namespace moebench::jobs

// Internal to task.cpp and task_score.cpp: the parts of a spec compiled once per
// task (templates, filter pipelines with their RE2 programs, exact-match regexes).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/eval/doc_template.h"
#include "harness/eval/filters.h"
#include "harness/eval/metrics.h"
#include "harness/eval/task.h"

namespace moebench::eval {

struct Task::Compiled {
  DocTemplate text, target, choice, description;
  DocTemplate fewshot_text, fewshot_target;  // fewshot_config overrides; empty: the above
  DocTemplate labels;                        // mc2: the 0/1 labels beside the choices
  std::vector<FilterPipeline> filters;
  std::vector<std::optional<ExactMatch>> exact_match;  // per metric_list entry
  bool needs_labels = false, needs_programs = false, needs_mc1 = false;
};

// TruthfulQA's mc1 over the scored choices: when the document has
// mc1_targets {choices, labels}, the positions of its choices among `options` (the
// scored list, e.g. mc2_targets.choices) and the position of its gold (the label-1
// choice, else the first); false when the document has no mc1_targets (then mc1 is
// acc). InputError naming `where` when an mc1 choice is not among `options`.
bool mc1_choices(const nlohmann::json& doc, const std::vector<std::string>& options,
                 std::vector<size_t>& positions, size_t& gold, const std::string& where);

// A JSON value as a gold index: an integer, or a string of digits (lm-eval
// literal_evals those); -1 otherwise.
int64_t as_index(const nlohmann::json& value);

}  // namespace moebench::eval

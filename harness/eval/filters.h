// Filter pipelines over model responses, as lm-eval's filter_list: each named
// pipeline maps the responses of one document (one per repeat) through its steps,
// and every metric is computed once per pipeline ("exact_match,strict-match").
// Regexes run under RE2: model output is untrusted, and RE2 is linear in the
// input whatever the pattern.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/eval/task_spec.h"

namespace re2 {
class RE2;
}

namespace moebench::eval {

// Compiles `pattern` under RE2 (UTF-8, no log spam); InputError naming `where`,
// the pattern and RE2's reason when RE2 rejects it (e.g. look-arounds,
// back-references, which Python's re has and RE2 does not).
std::shared_ptr<const re2::RE2> compile_regex(const std::string& pattern, const std::string& where);

// lm-eval's RegexFilter on one response: Python's re.findall, then the match at
// `group_select` (negative counts from the end); with several groups, the first
// non-empty one; str.strip(); `fallback` when nothing matches (or, where lm-eval
// would raise IndexError, when group_select is out of range or every group is empty).
// Differences from Python's re: \d, \w, \s and \b are ASCII-only in RE2, `$` matches
// only at the very end (not before a final newline), and after an empty match the
// scan moves on one character (Python may still take a longer match there).
std::string regex_extract(const re2::RE2& regex, const std::string& response, int64_t group_select,
                          const std::string& fallback);

class FilterPipeline {
 public:
  // `where` names the spec (file:field) in compile errors.
  FilterPipeline(const FilterSpec& spec, const std::string& where);

  const std::string& name() const { return name_; }
  // The filtered responses of one document; take_first leaves one.
  std::vector<std::string> apply(std::vector<std::string> responses) const;

 private:
  struct Step {
    FilterStep spec;
    std::shared_ptr<const re2::RE2> regex;  // for "regex"
  };
  std::string name_;
  std::vector<Step> steps_;
};

// The pipelines of a task: its filter_list, or a single "none" pipeline when it
// has none: take_first as in lm-eval, except that a pass@k task keeps every sample.
std::vector<FilterPipeline> build_filters(const TaskSpec& spec);

// The filter functions a spec may name.
const std::vector<std::string>& filter_function_names();

}  // namespace moebench::eval

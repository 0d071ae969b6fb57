#include "harness/eval/filters.h"

#include <re2/re2.h>

#include <deque>
#include <map>

#include "harness/eval/python_text.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::eval {

const std::vector<std::string>& filter_function_names() {
  static const std::vector<std::string> names = {
      "regex", "take_first", "take_first_k", "majority_vote",
      "strip", "lowercase",  "uppercase",    "remove_whitespace"};
  return names;
}

std::shared_ptr<const re2::RE2> compile_regex(const std::string& pattern,
                                              const std::string& where) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_shared<const re2::RE2>(pattern, options);
  if (!regex->ok()) {
    fail_input(where, "regex '{}' does not compile under RE2: {}", pattern, regex->error());
  }
  return regex;
}

std::string regex_extract(const re2::RE2& regex, const std::string& response, int64_t group_select,
                          const std::string& fallback) {
  const int groups = regex.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> m(static_cast<size_t>(groups) + 1);
  // Keep only the match group_select needs: the k-th from the start, or a window
  // of the last |k| (a hostile response may hold millions of matches).
  const bool from_end = group_select < 0;
  const size_t want =
      from_end ? static_cast<size_t>(-group_select) : static_cast<size_t>(group_select);
  std::deque<std::vector<re2::StringPiece>> kept;
  size_t count = 0;
  size_t pos = 0;
  const re2::StringPiece text(response);
  while (pos <= response.size() &&
         regex.Match(text, pos, response.size(), re2::RE2::UNANCHORED, m.data(), groups + 1)) {
    const size_t begin = m[0].data() - response.data(), end = begin + m[0].size();
    if (from_end) {
      kept.push_back(m);
      if (kept.size() > want) kept.pop_front();
    } else if (count == want) {
      kept.push_back(m);
      break;
    }
    ++count;
    if (end > begin) {
      pos = end;
    } else {  // an empty match: step over one character, as findall does
      if (end >= response.size()) break;
      pos = end + std::max<size_t>(1, utf8_char_length(std::string_view(response).substr(end)));
    }
  }
  if (kept.empty() || (from_end && kept.size() < want)) return fallback;
  const std::vector<re2::StringPiece>& hit = kept.front();
  std::string value;
  if (groups == 0) {
    value = hit[0].ToString();
  } else if (groups == 1) {
    value = hit[1].ToString();  // an unset group is "" in findall
  } else {
    bool found = false;
    for (int g = 1; g <= groups && !found; ++g) {
      if (!hit[g].empty()) {
        value = hit[g].ToString();
        found = true;
      }
    }
    if (!found) return fallback;
  }
  return python_strip(value);
}

FilterPipeline::FilterPipeline(const FilterSpec& spec, const std::string& where)
    : name_(spec.name) {
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    Step step{spec.steps[i], nullptr};
    if (step.spec.function == "regex") {
      step.regex =
          compile_regex(step.spec.regex_pattern,
                        fmt::format("{}: filter '{}' step {}: regex_pattern", where, spec.name, i));
    }
    steps_.push_back(std::move(step));
  }
}

std::vector<std::string> FilterPipeline::apply(std::vector<std::string> responses) const {
  for (const Step& step : steps_) {
    const std::string& fn = step.spec.function;
    if (fn == "regex") {
      for (auto& r : responses) {
        r = regex_extract(*step.regex, r, step.spec.group_select, step.spec.fallback);
      }
    } else if (fn == "take_first") {
      if (responses.size() > 1) responses.resize(1);
    } else if (fn == "take_first_k") {
      if (responses.size() > static_cast<size_t>(step.spec.k)) responses.resize(step.spec.k);
    } else if (fn == "majority_vote") {
      // Counter(resps).most_common(1): the most frequent, ties to the first seen.
      std::map<std::string, size_t> counts;
      std::string best;
      size_t best_count = 0;
      for (const auto& r : responses) counts[r]++;
      for (const auto& r : responses) {
        if (counts[r] > best_count) best = r, best_count = counts[r];
      }
      if (!responses.empty()) responses = {best};
    } else if (fn == "strip") {
      for (auto& r : responses) r = python_strip(r);
    } else if (fn == "lowercase") {
      for (auto& r : responses) r = python_lower(r);
    } else if (fn == "uppercase") {
      for (auto& r : responses) r = python_upper(r);
    } else if (fn == "remove_whitespace") {
      for (auto& r : responses) {  // lm-eval's WhitespaceFilter drops one leading space
        if (!r.empty() && r[0] == ' ') r.erase(0, 1);
      }
    }
  }
  return responses;
}

std::vector<FilterPipeline> build_filters(const TaskSpec& spec) {
  std::vector<FilterPipeline> out;
  if (spec.filter_list.empty()) {
    // pass@k counts every sample, so there "none" keeps them all.
    bool pass_k = false;
    for (const MetricSpec& m : spec.metric_list) pass_k = pass_k || m.metric.rfind("pass@", 0) == 0;
    FilterSpec none{"none", {}};
    if (!pass_k) none.steps.push_back(FilterStep{"take_first"});
    out.emplace_back(none, spec.source);
    return out;
  }
  for (const FilterSpec& f : spec.filter_list) out.emplace_back(f, spec.source);
  return out;
}

}  // namespace moebench::eval

// Defaults that depend on other keys, and the checks that need the whole spec
// (which metrics an output_type supports, regexes under RE2, template syntax).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "harness/eval/doc_template.h"
#include "harness/eval/filters.h"
#include "harness/eval/metrics.h"
#include "harness/eval/task_spec.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::eval {
namespace {

// Metrics per output type; pass@K (any K >= 1) is a generate_until metric.
const std::vector<std::string> kChoiceMetrics = {"acc",         "acc_norm", "acc_bytes",
                                                 "exact_match", "mc1",      "mc2"};
const std::vector<std::string> kGenerateMetrics = {"exact_match", "rougeL", "pass_at_k"};
const std::vector<std::string> kRollingMetrics = {"perplexity", "word_perplexity",
                                                  "byte_perplexity", "bits_per_byte"};

const std::vector<std::string>& metrics_for(OutputType type) {
  return type == OutputType::MultipleChoice  ? kChoiceMetrics
         : type == OutputType::GenerateUntil ? kGenerateMetrics
                                             : kRollingMetrics;
}

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// "pass@10" -> 10; 0 when the name is not of that form.
int64_t pass_k_of(const std::string& metric) {
  if (metric.rfind("pass@", 0) != 0 || metric.size() == 5 || metric.size() > 11) return 0;
  for (size_t i = 5; i < metric.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(metric[i]))) return 0;
  }
  return std::stoll(metric.substr(5));
}

// The aggregation each metric is computed with; the spec may only restate it.
std::string natural_aggregation(const std::string& metric) {
  if (metric == "word_perplexity" || metric == "byte_perplexity" || metric == "perplexity") {
    return "weighted_perplexity";
  }
  if (metric == "bits_per_byte") return "bits_per_byte";
  return "mean";
}

MetricSpec default_metric(const std::string& name) {
  MetricSpec m;
  m.metric = name;
  m.higher_is_better = contains(kRollingMetrics, name) ? false : true;
  return m;
}

}  // namespace

std::string to_string(OutputType type) {
  switch (type) {
    case OutputType::MultipleChoice:
      return "multiple_choice";
    case OutputType::GenerateUntil:
      return "generate_until";
    case OutputType::LoglikelihoodRolling:
      return "loglikelihood_rolling";
  }
  return "?";
}

double TaskSpec::version() const {
  auto it = metadata.find("version");
  return it != metadata.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::vector<std::string> known_metric_names() {
  std::vector<std::string> out = kChoiceMetrics;
  for (const auto* list : {&kGenerateMetrics, &kRollingMetrics}) {
    for (const auto& m : *list) {
      if (!contains(out, m)) out.push_back(m);
    }
  }
  out.push_back("pass@1");
  return out;
}

void finalize_task_spec(TaskSpec& spec) {
  const std::string& where = spec.source;
  if (spec.task.empty()) fail_input(where, "field 'task' is missing (the task's name)");
  // lm-eval's default metrics when metric_list is absent.
  if (spec.metric_list.empty()) {
    if (spec.output_type == OutputType::MultipleChoice) {
      spec.metric_list = {default_metric("acc"), default_metric("acc_norm")};
    } else if (spec.output_type == OutputType::GenerateUntil) {
      spec.metric_list = {default_metric("exact_match")};
    } else {
      spec.metric_list = {default_metric("word_perplexity"), default_metric("byte_perplexity"),
                          default_metric("bits_per_byte")};
    }
  }
  // pass_at_k with k: [1, 10] becomes pass@1 and pass@10, as lm-eval reports them.
  std::vector<MetricSpec> expanded;
  for (const MetricSpec& m : spec.metric_list) {
    if (m.metric != "pass_at_k") {
      expanded.push_back(m);
      continue;
    }
    if (m.k.empty()) fail_input(where, "metric 'pass_at_k' needs 'k' (e.g. k: [1, 10])");
    for (int64_t k : m.k) {
      MetricSpec one = m;
      one.metric = fmt::format("pass@{}", k);
      one.k.clear();
      expanded.push_back(one);
    }
  }
  spec.metric_list = expanded;

  const std::string type = to_string(spec.output_type);
  const auto& allowed = metrics_for(spec.output_type);
  for (size_t i = 0; i < spec.metric_list.size(); ++i) {
    MetricSpec& m = spec.metric_list[i];
    const std::string field = fmt::format("metric_list[{}]", i);
    const int64_t k = pass_k_of(m.metric);
    if (m.metric.rfind("pass@", 0) == 0 && k < 1) {
      fail_input(where, "{}.metric: '{}' is not pass@K with an integer K >= 1", field, m.metric);
    }
    const bool ok =
        k > 0 ? spec.output_type == OutputType::GenerateUntil : contains(allowed, m.metric);
    if (!ok) {
      fail_input(where, "{}.metric: '{}' is not a metric of output_type {} (its metrics: {})",
                 field, m.metric, type, fmt::join(allowed, ", "));
    }
    if (k > spec.repeats) {
      fail_input(where, "{}.metric: '{}' needs repeats >= {} samples per document, got repeats {}",
                 field, m.metric, k, spec.repeats);
    }
    const std::string natural = natural_aggregation(m.metric);
    if (m.aggregation.empty()) m.aggregation = natural;
    if (m.aggregation != natural &&
        !(natural == "weighted_perplexity" && m.aggregation == "perplexity")) {
      fail_input(where, "{}.aggregation: '{}' is not supported for '{}' (use '{}')", field,
                 m.aggregation, m.metric, natural);
    }
    if (m.metric == "exact_match") ExactMatch(m, where + ": " + field);  // regexes compile
  }
  for (const FilterSpec& f : spec.filter_list) {
    FilterPipeline(f, where);
    // pass@K needs K samples per document after the pipeline.
    int64_t kept = spec.repeats;
    for (const FilterStep& step : f.steps) {
      if (step.function == "take_first" || step.function == "majority_vote") kept = 1;
      if (step.function == "take_first_k") kept = std::min(kept, step.k);
    }
    for (const MetricSpec& m : spec.metric_list) {
      if (pass_k_of(m.metric) > kept) {
        fail_input(where, "filter_list '{}' keeps {} response(s) per document; {} needs {}", f.name,
                   kept, m.metric, pass_k_of(m.metric));
      }
    }
  }
  std::set<std::string> names;
  for (const FilterSpec& f : spec.filter_list) {
    if (!names.insert(f.name).second) {
      fail_input(where, "filter_list: two pipelines are named '{}'", f.name);
    }
  }

  if (spec.output_type != OutputType::LoglikelihoodRolling && spec.doc_to_text.empty()) {
    fail_input(where, "field 'doc_to_text' is missing (required for output_type {})", type);
  }
  if (spec.output_type != OutputType::GenerateUntil && spec.doc_to_target.empty()) {
    fail_input(where, "field 'doc_to_target' is missing (required for output_type {})", type);
  }
  if (spec.output_type == OutputType::MultipleChoice && spec.doc_to_choice.empty() &&
      spec.doc_to_choice_list.empty()) {
    fail_input(where,
               "field 'doc_to_choice' is missing (required for output_type multiple_choice)");
  }
  if (spec.output_type == OutputType::LoglikelihoodRolling && spec.num_fewshot != 0) {
    fail_input(where, "field 'num_fewshot': must be 0 for loglikelihood_rolling, got {}",
               spec.num_fewshot);
  }
  // Template syntax, checked before any document is read.
  DocTemplate(spec.doc_to_text, where + ": doc_to_text");
  DocTemplate(spec.doc_to_target, where + ": doc_to_target");
  DocTemplate(spec.doc_to_choice, where + ": doc_to_choice");
  DocTemplate(spec.fewshot_config.doc_to_text, where + ": fewshot_config.doc_to_text");
  DocTemplate(spec.fewshot_config.doc_to_target, where + ": fewshot_config.doc_to_target");
  if (spec.fewshot_config.sampler != "default" && spec.fewshot_config.sampler != "first_n") {
    fail_input(where, "fewshot_config.sampler: unknown sampler '{}' (expected default or first_n)",
               spec.fewshot_config.sampler);
  }
  if (!spec.process_results.empty() && spec.process_results != "mc2") {
    fail_input(where, "process_results: unknown scorer '{}' (registered: mc2)",
               spec.process_results);
  }
  if (spec.process_results == "mc2" && spec.output_type != OutputType::MultipleChoice) {
    fail_input(where, "process_results: 'mc2' needs output_type multiple_choice");
  }
}

}  // namespace moebench::eval

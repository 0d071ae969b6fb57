// Loading task YAML. Keys are applied file by file: an `include:`d file first,
// then the including file's own keys on top (lm-eval's shallow override), so every
// error names the file and line the offending key was written in.
#include "harness/eval/task_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>

#include "harness/eval/filters.h"
#include "harness/eval/yaml_fields.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace moebench::eval {
namespace {

const std::vector<std::string> kTaskKeys = {
    "task", "include", "dataset_path", "fewshot_path", "num_fewshot", "fewshot_seed",
    "fewshot_config", "output_type", "doc_to_text", "doc_to_target", "doc_to_choice",
    "target_delimiter", "fewshot_delimiter", "description", "generation_kwargs", "repeats",
    "filter_list", "metric_list", "process_results", "metadata",
    // lm-eval labels that change nothing in how a task is run or scored:
    "tag", "alias", "unsafe_code"};
constexpr int kMaxIncludeDepth = 8;

// YAML -> JSON for the "configs" section of results: plain scalars that read as
// numbers or booleans become those, everything else stays a string.
json to_json(const YAML::Node& node, const std::string& where) {
  if (node.IsMap()) {
    json out = json::object();
    for (const auto& kv : node) {
      if (!kv.first.IsScalar())  // "{[a]: 1}": JSON keys are strings
        fail_input(where, "line {}: a key must be a plain name, got {}", kv.first.Mark().line + 1,
                   shown(kv.first));
      out[kv.first.Scalar()] = to_json(kv.second, where);
    }
    return out;
  }
  if (node.IsSequence()) {
    json out = json::array();
    for (const auto& item : node) out.push_back(to_json(item, where));
    return out;
  }
  if (!node.IsScalar()) return nullptr;
  if (node.Tag() == "?") {  // plain (unquoted) scalar
    const std::string& s = node.Scalar();
    int64_t i = 0;
    double d = 0;
    bool b = false;
    if (YAML::convert<int64_t>::decode(node, i)) return i;
    if (YAML::convert<double>::decode(node, d)) return d;
    if (YAML::convert<bool>::decode(node, b)) return b;
    if (s == "~" || s == "null") return nullptr;
  }
  return node.Scalar();
}

OutputType parse_output_type(const YamlFields& f) {
  const std::string v = f.get_string("output_type");
  if (v == "multiple_choice") return OutputType::MultipleChoice;
  if (v == "generate_until") return OutputType::GenerateUntil;
  if (v == "loglikelihood_rolling") return OutputType::LoglikelihoodRolling;
  const std::vector<std::string> known = {"multiple_choice", "generate_until",
                                          "loglikelihood_rolling"};
  const std::string near = closest_match(v, known);
  f.fail("output_type",
         fmt::format("unknown output_type '{}'{}; expected one of multiple_choice, "
                     "generate_until, loglikelihood_rolling",
                     v, near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)));
}

FilterStep parse_filter_step(const YAML::Node& node, const std::string& file,
                             const std::string& prefix) {
  FilterStep step;
  if (node.IsScalar()) {  // shorthand: `- strip`
    step.function = node.Scalar();
  } else {
    YamlFields f(node, file, prefix);
    f.check_keys({"function", "regex_pattern", "group_select", "fallback", "k"}, "a filter step");
    if (!f.has("function")) f.fail("function", "is missing");
    step.function = f.get_string("function");
    step.regex_pattern = f.get_string("regex_pattern", step.regex_pattern);
    if (step.function == "regex") {  // compiled here too, for the line number in errors
      compile_regex(step.regex_pattern,
                    f.where("regex_pattern") + ": field '" + f.field("regex_pattern") + "'");
    }
    step.group_select = f.get_int("group_select", 0, -1000000, 1000000);
    step.fallback = f.get_string("fallback", step.fallback);
    step.k = f.get_int("k", 1, 1, 1000000);
  }
  const auto& names = filter_function_names();
  if (std::find(names.begin(), names.end(), step.function) == names.end()) {
    const std::string near = closest_match(step.function, names);
    fail_input(fmt::format("{}:{}", file, node.Mark().line + 1),
               "field '{}function': unknown filter function '{}'{}; known: {}", prefix,
               step.function, near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
               fmt::format("{}", fmt::join(names, ", ")));
  }
  return step;
}

std::vector<FilterSpec> parse_filter_list(const YamlFields& f) {
  std::vector<FilterSpec> out;
  YAML::Node list = f.node("filter_list");
  if (!list.IsSequence()) f.fail("filter_list", "expected a list, got " + shown(list));
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string prefix = fmt::format("filter_list[{}].", i);
    YamlFields entry(list[i], f.file(), prefix);
    entry.check_keys({"name", "filter"}, "a filter_list entry");
    FilterSpec spec;
    spec.name = entry.get_string("name");
    if (spec.name.empty()) entry.fail("name", "is missing (each pipeline needs a name)");
    YAML::Node steps = entry.node("filter");
    if (!steps || !steps.IsSequence() || steps.size() == 0) {
      entry.fail("filter", "expected a non-empty list of filter steps");
    }
    for (size_t j = 0; j < steps.size(); ++j) {
      spec.steps.push_back(
          parse_filter_step(steps[j], f.file(), fmt::format("{}filter[{}].", prefix, j)));
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::vector<MetricSpec> parse_metric_list(const YamlFields& f) {
  std::vector<MetricSpec> out;
  YAML::Node list = f.node("metric_list");
  if (!list.IsSequence()) f.fail("metric_list", "expected a list, got " + shown(list));
  for (size_t i = 0; i < list.size(); ++i) {
    YamlFields m(list[i], f.file(), fmt::format("metric_list[{}].", i));
    m.check_keys({"metric", "aggregation", "higher_is_better", "ignore_case", "ignore_punctuation",
                  "regexes_to_ignore", "k"},
                 "a metric_list entry");
    MetricSpec spec;
    spec.metric = m.get_string("metric");
    if (spec.metric.empty()) m.fail("metric", "is missing");
    const auto known = known_metric_names();
    const bool pass_k = spec.metric.rfind("pass@", 0) == 0;
    if (!pass_k && std::find(known.begin(), known.end(), spec.metric) == known.end()) {
      const std::string near = closest_match(spec.metric, known);
      m.fail("metric", fmt::format("unknown metric '{}'{}; known: {}", spec.metric,
                                   near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                   fmt::join(known, ", ")));
    }
    const bool lower_better =
        spec.metric.find("perplexity") != std::string::npos || spec.metric == "bits_per_byte";
    spec.aggregation = m.get_string("aggregation");
    spec.higher_is_better = m.get_bool("higher_is_better", !lower_better);
    spec.ignore_case = m.get_bool("ignore_case", false);
    spec.ignore_punctuation = m.get_bool("ignore_punctuation", false);
    spec.regexes_to_ignore = m.get_string_list("regexes_to_ignore");
    for (size_t j = 0; j < spec.regexes_to_ignore.size(); ++j) {
      compile_regex(spec.regexes_to_ignore[j],
                    fmt::format("{}: field '{}[{}]'", m.where("regexes_to_ignore"),
                                m.field("regexes_to_ignore"), j));
    }
    if (m.has("k")) {
      YAML::Node k = m.node("k");
      if (k.IsScalar()) {
        spec.k.push_back(m.get_int("k", 1, 1, 1000000));
      } else if (k.IsSequence()) {
        for (size_t j = 0; j < k.size(); ++j) {
          YAML::Node wrapper;
          wrapper["k"] = k[j];
          spec.k.push_back(YamlFields(wrapper, f.file(), m.field("")).get_int("k", 1, 1, 1000000));
        }
      } else {
        m.fail("k", "expected an integer or a list of integers, got " + shown(k));
      }
    }
    out.push_back(std::move(spec));
  }
  return out;
}

void apply_generation_kwargs(const YamlFields& f, TaskSpec& spec) {
  YamlFields g(f.node("generation_kwargs"), f.file(), "generation_kwargs.");
  g.check_keys({"until", "max_gen_toks", "do_sample", "temperature", "top_p"}, "generation_kwargs");
  GenerationKwargs& kw = spec.generation_kwargs;
  kw = GenerationKwargs{};  // lm-eval: given generation_kwargs replace the defaults
  kw.until = g.get_string_list("until");
  kw.max_gen_toks = g.get_int("max_gen_toks", kw.max_gen_toks, 1, 1 << 20);
  kw.do_sample = g.get_bool("do_sample", false);
  kw.temperature = g.get_double("temperature", 0.0);
  kw.top_p = g.get_double("top_p", 1.0);
}

// Applies the keys of one file (and, first, of the file it includes) onto `spec`.
void apply_file(const fs::path& path, TaskSpec& spec, bool& until_given, int depth,
                std::vector<std::string>& chain) {
  if (depth > kMaxIncludeDepth) {
    fail_input(path.string(), "include chain too deep ({}): {}", depth, fmt::join(chain, " -> "));
  }
  const fs::path canonical = fs::weakly_canonical(path);
  for (const auto& seen : chain) {
    if (seen == canonical.string()) {
      fail_input(path.string(), "include cycle: {} -> {}", fmt::join(chain, " -> "),
                 canonical.string());
    }
  }
  chain.push_back(canonical.string());
  const YAML::Node root = load_yaml_file(path);
  YamlFields f(root, path.string());
  f.check_keys(kTaskKeys, "a task spec");
  const fs::path dir = path.parent_path();
  if (f.has("include")) {
    const fs::path included = dir / f.get_string("include");
    if (!fs::is_regular_file(included)) {
      f.fail("include", fmt::format("file '{}' not found", included.string()));
    }
    apply_file(included, spec, until_given, depth + 1, chain);
  }
  const std::pair<const char*, std::string*> strings[] = {
      {"task", &spec.task},
      {"description", &spec.description},
      {"doc_to_text", &spec.doc_to_text},
      {"target_delimiter", &spec.target_delimiter},
      {"fewshot_delimiter", &spec.fewshot_delimiter},
      {"process_results", &spec.process_results}};
  for (const auto& [key, target] : strings) {
    if (f.has(key)) *target = f.get_string(key);
  }
  if (f.has("dataset_path")) {
    spec.dataset_path = (dir / f.get_string("dataset_path")).lexically_normal();
  }
  if (f.has("fewshot_path")) {
    spec.fewshot_path = (dir / f.get_string("fewshot_path")).lexically_normal();
  }
  spec.num_fewshot = f.get_int("num_fewshot", spec.num_fewshot, 0, 1000);
  spec.fewshot_seed = f.get_int("fewshot_seed", spec.fewshot_seed, 0, INT64_MAX);
  spec.repeats = f.get_int("repeats", spec.repeats, 1, 100000);
  if (f.has("output_type")) spec.output_type = parse_output_type(f);
  if (f.has("fewshot_config")) {
    YamlFields fc(f.node("fewshot_config"), f.file(), "fewshot_config.");
    fc.check_keys({"sampler", "doc_to_text", "doc_to_target"}, "fewshot_config");
    spec.fewshot_config.sampler = fc.get_string("sampler", "default");
    spec.fewshot_config.doc_to_text = fc.get_string("doc_to_text");
    spec.fewshot_config.doc_to_target = fc.get_string("doc_to_target");
  }
  if (f.has("doc_to_target")) {
    YAML::Node n = f.node("doc_to_target");
    spec.doc_to_target = f.get_string("doc_to_target");
    int64_t index = 0;
    spec.doc_to_target_index.reset();
    if (n.Tag() == "?" && YAML::convert<int64_t>::decode(n, index))
      spec.doc_to_target_index = index;
  }
  if (f.has("doc_to_choice")) {
    YAML::Node n = f.node("doc_to_choice");
    spec.doc_to_choice.clear();
    spec.doc_to_choice_list.clear();
    if (n.IsSequence()) {
      spec.doc_to_choice_list = f.get_string_list("doc_to_choice");
    } else {
      spec.doc_to_choice = f.get_string("doc_to_choice");
    }
  }
  if (f.has("generation_kwargs")) {
    apply_generation_kwargs(f, spec);
    until_given = YamlFields(f.node("generation_kwargs"), f.file()).has("until");
  }
  if (f.has("filter_list")) spec.filter_list = parse_filter_list(f);
  if (f.has("metric_list")) spec.metric_list = parse_metric_list(f);
  if (f.has("metadata")) {
    YAML::Node m = f.node("metadata");
    json meta = to_json(m, path.string());
    if (meta.is_array()) {  // lm-eval also writes `metadata: [{version: 2.0}]`
      json merged = json::object();
      for (const auto& item : meta) {
        if (item.is_object()) merged.update(item);
      }
      meta = merged;
    }
    if (!meta.is_object()) f.fail("metadata", "expected a mapping (e.g. {version: 1.0})");
    if (meta.contains("version") && !meta["version"].is_number()) {
      f.fail("metadata", "version must be a number, got " + meta["version"].dump());
    }
    spec.metadata = meta;
  }
  json own = to_json(root, path.string());
  own.erase("include");
  spec.config.update(own);
  chain.pop_back();
}

}  // namespace

TaskSpec load_task_spec(const fs::path& yaml_path) {
  TaskSpec spec;
  spec.source = yaml_path.string();
  bool until_given = false;
  std::vector<std::string> chain;
  apply_file(yaml_path, spec, until_given, 0, chain);
  if (spec.task.empty()) fail_input(spec.source, "field 'task' is missing (the task's name)");
  if (spec.dataset_path.empty()) {
    fail_input(spec.source,
               "field 'dataset_path' is missing (the items JSONL, relative to the YAML)");
  }
  // lm-eval (TaskConfig.__post_init__): without `until`, with or without
  // generation_kwargs, a generation stops at the few-shot delimiter.
  if (!until_given) spec.generation_kwargs.until = {spec.fewshot_delimiter};
  finalize_task_spec(spec);
  return spec;
}

}  // namespace moebench::eval

#include "harness/eval/suite.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/eval/metrics.h"
#include "harness/eval/yaml_fields.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;

namespace moebench::eval {

double SuiteSpec::version() const {
  auto it = metadata.find("version");
  return it != metadata.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::vector<std::string> list_suites(const fs::path& tasks_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tasks_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && fs::is_regular_file(entry.path() / (name + ".yaml"))) {
      out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::vector<AggregateMetric> parse_aggregates(const YamlFields& f) {
  std::vector<AggregateMetric> out;
  YAML::Node list = f.node("aggregate_metric_list");
  if (!list.IsSequence()) f.fail("aggregate_metric_list", "expected a list, got " + shown(list));
  for (size_t i = 0; i < list.size(); ++i) {
    YamlFields a(list[i], f.file(), fmt::format("aggregate_metric_list[{}].", i));
    a.check_keys({"metric", "aggregation", "weight_by_size", "filter_list"},
                 "an aggregate_metric_list entry");
    AggregateMetric m;
    m.metric = a.get_string("metric");
    if (m.metric.empty()) a.fail("metric", "is missing");
    m.aggregation = a.get_string("aggregation", "mean");
    if (m.aggregation != "mean") {
      a.fail("aggregation",
             "only 'mean' is supported for groups (as in lm-eval), got '" + m.aggregation + "'");
    }
    m.weight_by_size = a.get_bool("weight_by_size", false);
    if (a.has("filter_list")) m.filter_list = a.get_string_list("filter_list");
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

SuiteSpec load_suite(const std::string& name_or_path, const fs::path& tasks_dir) {
  fs::path file = name_or_path;
  if (file.extension() != ".yaml" || !fs::is_regular_file(file)) {
    file = tasks_dir / name_or_path / (name_or_path + ".yaml");
    if (!fs::is_regular_file(file)) {
      const auto names = list_suites(tasks_dir);
      const std::string near = closest_match(name_or_path, names);
      fail_input("--suite", "unknown suite '{}'{}; suites in {}: {}", name_or_path,
                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near), tasks_dir.string(),
                 names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
    }
  }
  SuiteSpec suite;
  suite.source = file.string();
  YamlFields f(load_yaml_file(file), file.string());
  f.check_keys(
      {"group", "group_alias", "task", "aggregate_metric_list", "expected_expert", "metadata"},
      "a suite spec");
  suite.group = f.get_string("group");
  if (suite.group.empty()) f.fail("group", "is missing (the suite's name)");
  suite.group_alias = f.get_string("group_alias");
  suite.expected_expert = f.get_string("expected_expert");
  if (f.has("metadata")) {
    YamlFields m(f.node("metadata"), file.string(), "metadata.");
    suite.metadata = nlohmann::json{{"version", m.get_double("version", 0.0)}};
  }
  if (f.has("aggregate_metric_list")) suite.aggregate_metric_list = parse_aggregates(f);
  const std::vector<std::string> names = f.get_string_list("task");
  if (names.empty()) f.fail("task", "expected a non-empty list of task names");
  const fs::path dir = file.parent_path();
  std::vector<std::string> available;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml" && entry.path() != file) {
      available.push_back(entry.path().stem().string());
    }
  }
  for (const std::string& name : names) {
    const fs::path task_file = dir / (name + ".yaml");
    if (!fs::is_regular_file(task_file)) {
      const std::string near = closest_match(name, available);
      f.fail("task", fmt::format("no task '{}' (no file {}){}", name, task_file.string(),
                                 near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
    }
    suite.tasks.push_back(load_task_spec(task_file));
    for (size_t k = 0; k + 1 < suite.tasks.size(); ++k) {
      if (suite.tasks[k].task == suite.tasks.back().task) {
        f.fail("task", fmt::format("two tasks are named '{}'", suite.tasks.back().task));
      }
    }
  }
  return suite;
}

std::vector<Task> load_suite_tasks(const SuiteSpec& suite) {
  std::vector<Task> out;
  for (const TaskSpec& spec : suite.tasks) out.push_back(Task::load(spec));
  return out;
}

std::map<std::string, MetricResult> aggregate_group(
    const SuiteSpec& suite,
    const std::vector<std::pair<std::string, std::map<std::string, MetricResult>>>& task_results) {
  std::map<std::string, MetricResult> out;
  for (const AggregateMetric& agg : suite.aggregate_metric_list) {
    for (const std::string& filter : agg.filter_list) {
      const std::string key = agg.metric + "," + filter;
      std::vector<MemberScore> members;
      bool higher = true;
      for (const auto& [task, metrics] : task_results) {
        auto it = metrics.find(key);
        if (it == metrics.end()) continue;
        members.push_back({it->second.value, it->second.stderr_value, it->second.n});
        higher = it->second.higher_is_better;
      }
      if (members.empty()) continue;
      const GroupMean g = group_mean(members, agg.weight_by_size);
      const MetricResult r{g.value, g.stderr_value, g.n, higher};
      out[key] = r;
    }
  }
  return out;
}

}  // namespace moebench::eval

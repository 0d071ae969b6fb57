#include "harness/eval/eval_job.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "harness/eval/datasets.h"
#include "harness/eval/results_json.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::eval {

std::filesystem::path default_tasks_dir() {
  const char* env = std::getenv("MOEBENCH_TASKS");
  if (env && *env) return env;
  return MOEBENCH_SOURCE_TASKS_DIR;  // compiled in: the checkout's tasks/
}

LoadedTasks load_tasks(const TaskSelection& selection) {
  LoadedTasks out;
  for (const std::string& name : selection.suites) {
    out.suites.push_back(load_suite(name, selection.tasks_dir));
    for (Task& t : load_suite_tasks(out.suites.back())) {
      out.tasks.push_back(std::move(t));
      out.suite_of_task.push_back(static_cast<int>(out.suites.size()) - 1);
    }
  }
  for (const std::string& name : selection.tasks) {
    std::filesystem::path path = name;
    if (path.extension() != ".yaml" && path.extension() != ".yml") {
      // A bundled task: look for it in every suite's folder.
      std::vector<std::string> known;
      path.clear();
      for (const std::string& suite : list_suites(selection.tasks_dir)) {
        for (const TaskSpec& spec : load_suite(suite, selection.tasks_dir).tasks) {
          known.push_back(spec.task);
          if (spec.task == name) path = spec.source;
        }
      }
      if (path.empty()) {
        const std::string near = closest_match(name, known);
        fail_input("--tasks", "no bundled task '{}'{}", name,
                   near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
      }
    }
    out.tasks.push_back(Task::load(load_task_spec(path)));
    out.suite_of_task.push_back(-1);
  }
  for (const std::string& arg : selection.data) {
    auto [name, path] = parse_data_arg(arg);
    out.tasks.push_back(load_dataset_task(name, path));
    out.suite_of_task.push_back(-1);
  }
  if (out.tasks.empty()) {
    fail_input("--suite/--data", "no task selected; bundled suites: {}",
               fmt::join(list_suites(selection.tasks_dir), ", "));
  }
  return out;
}

bool needs_sandbox(const std::vector<Task>& tasks) {
  for (const Task& t : tasks) {
    for (const MetricSpec& m : t.spec().metric_list) {
      if (m.metric.rfind("pass@", 0) == 0 || m.metric == "pass_at_k") return true;
    }
  }
  return false;
}

nlohmann::json results_of(const LoadedTasks& tasks, const std::vector<TaskRun>& runs,
                          const nlohmann::json& extra) {
  std::vector<TaskResult> task_results;
  for (size_t i = 0; i < runs.size(); ++i) {
    task_results.push_back({&tasks.tasks[i], runs[i].metrics,
                            static_cast<int64_t>(tasks.tasks[i].docs().size()),
                            static_cast<int64_t>(runs[i].prepared.docs.size())});
  }
  std::vector<GroupResult> groups;
  for (size_t s = 0; s < tasks.suites.size(); ++s) {
    std::vector<std::pair<std::string, std::map<std::string, MetricResult>>> members;
    for (size_t i = 0; i < runs.size(); ++i) {
      if (tasks.suite_of_task[i] == static_cast<int>(s)) {
        members.emplace_back(tasks.tasks[i].name(), runs[i].metrics);
      }
    }
    groups.push_back({&tasks.suites[s], aggregate_group(tasks.suites[s], members)});
  }
  return results_json(task_results, groups, extra);
}

std::string score_table(const nlohmann::json& results) {
  std::string out = "|Tasks|Version|Filter|n-shot|Metric| |Value| |Stderr|\n"
                    "|-----|------:|------|-----:|------|-|----:|-|-----:|\n";
  auto row = [&](const std::string& name, const nlohmann::json& entry) {
    const std::string alias = entry.value("alias", name);
    const auto version = results["versions"].value(name, nlohmann::json());
    const auto shots = results.contains("n-shot") ? results["n-shot"].value(name, nlohmann::json())
                                                  : nlohmann::json();
    bool first = true;
    for (const auto& [key, value] : entry.items()) {
      const size_t comma = key.find(',');
      if (comma == std::string::npos || key.find("_stderr,") != std::string::npos) continue;
      if (!value.is_number()) continue;
      const std::string metric = key.substr(0, comma), filter = key.substr(comma + 1);
      const std::string stderr_key = metric + "_stderr," + filter;
      std::string err = "N/A";
      if (entry.contains(stderr_key) && entry[stderr_key].is_number()) {
        err = fmt::format("{:.4f}", entry[stderr_key].get<double>());
      }
      const std::string arrow = results["higher_is_better"].value(name, nlohmann::json::object())
                                        .value(metric, true) ? "↑" : "↓";
      out += fmt::format("|{}|{}|{}|{}|{}|{}|{:.4f}|±|{}|\n", first ? alias : "",
                         first && !version.is_null() ? version.dump() : "", filter,
                         first && !shots.is_null() ? shots.dump() : "", metric, arrow,
                         value.get<double>(), err);
      first = false;
    }
  };
  for (const auto& [name, entry] : results["results"].items()) row(name, entry);
  return out;
}

}  // namespace moebench::eval

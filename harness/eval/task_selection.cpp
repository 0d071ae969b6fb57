#include "harness/eval/task_selection.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "harness/eval/datasets.h"
#include "harness/io/json_input.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::eval {
namespace {

void apply_gen_kwargs(const nlohmann::json& kwargs, GenerationKwargs* g) {
  for (const auto& [key, value] : kwargs.items()) {
    if (key == "until") {
      g->until.clear();
      for (const auto& stop : value.is_array() ? value : nlohmann::json::array({value})) g->until.push_back(stop);
    } else if (key == "max_gen_toks") {
      g->max_gen_toks = value.get<int64_t>();
    }  // do_sample=false and temperature=0 are already what runs
  }
}

// The selection's overrides on one spec, before its Task is built.
TaskSpec overridden(TaskSpec spec, const TaskSelection& s) {
  if (s.num_fewshot >= 0) spec.num_fewshot = s.num_fewshot;
  if (s.fewshot_seed >= 0) spec.fewshot_seed = static_cast<uint64_t>(s.fewshot_seed);
  if (s.gen_kwargs.is_object() && spec.output_type == OutputType::GenerateUntil)
    apply_gen_kwargs(s.gen_kwargs, &spec.generation_kwargs);
  return spec;
}

bool has_overrides(const TaskSelection& s) {
  return s.num_fewshot >= 0 || s.fewshot_seed >= 0 || s.gen_kwargs.is_object();
}

void add_suite(const std::string& name, const TaskSelection& selection, LoadedTasks* out) {
  SuiteSpec suite = load_suite(name, selection.tasks_dir);
  for (TaskSpec& spec : suite.tasks) spec = overridden(std::move(spec), selection);
  out->suites.push_back(suite);
  for (Task& t : load_suite_tasks(out->suites.back())) {
    out->tasks.push_back(std::move(t));
    out->suite_of_task.push_back(static_cast<int>(out->suites.size()) - 1);
  }
}

}  // namespace

std::filesystem::path default_tasks_dir() {
  const char* env = std::getenv("MOEBENCH_TASKS");
  if (env && *env) return env;
  return MOEBENCH_SOURCE_TASKS_DIR;  // compiled in: the checkout's tasks/
}

LoadedTasks load_tasks(const TaskSelection& selection) {
  LoadedTasks out;
  for (const std::string& name : selection.suites) add_suite(name, selection, &out);
  const std::vector<std::string> suites = list_suites(selection.tasks_dir);
  for (const std::string& name : selection.tasks) {
    std::filesystem::path path = name;
    if (path.extension() != ".yaml" && path.extension() != ".yml") {
      // A bundled suite (lm-eval's --tasks takes groups too), or a task of one.
      if (std::find(suites.begin(), suites.end(), name) != suites.end()) {
        add_suite(name, selection, &out);
        continue;
      }
      std::vector<std::string> known = suites;
      path.clear();
      for (const std::string& suite : suites) {
        for (const TaskSpec& spec : load_suite(suite, selection.tasks_dir).tasks) {
          known.push_back(spec.task);
          if (spec.task == name) path = spec.source;
        }
      }
      if (path.empty()) {
        const std::string near = closest_match(name, known);
        fail_input("--tasks", "no bundled task or suite '{}'{} (see `moebench eval --tasks list`)", name,
                   near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
      }
    }
    out.tasks.push_back(Task::load(overridden(load_task_spec(path), selection)));
    out.suite_of_task.push_back(-1);
  }
  for (const std::string& arg : selection.data) {
    auto [name, path] = parse_data_arg(arg);
    Task task = load_dataset_task(name, path);
    out.tasks.push_back(has_overrides(selection) ? task.with_spec(overridden(task.spec(), selection))
                                                 : std::move(task));
    out.suite_of_task.push_back(-1);
  }
  if (out.tasks.empty()) {
    fail_input("--suite/--data", "no task selected; bundled suites: {}",
               fmt::join(list_suites(selection.tasks_dir), ", "));
  }
  return out;
}

bool runs_generated_code(const TaskSpec& spec) {
  for (const MetricSpec& m : spec.metric_list)
    if (m.metric.rfind("pass@", 0) == 0 || m.metric == "pass_at_k") return true;
  return false;
}

bool needs_sandbox(const std::vector<Task>& tasks) {
  return std::any_of(tasks.begin(), tasks.end(), [](const Task& t) { return runs_generated_code(t.spec()); });
}

nlohmann::json parse_gen_kwargs(const std::string& text) {
  nlohmann::json out = nlohmann::json::object();
  const size_t first = text.find_first_not_of(" \t\r\n");
  const std::string trimmed =
      first == std::string::npos ? "" : text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
  if (!trimmed.empty() && trimmed.front() == '{') {
    out = io::parse_json_text(trimmed, "--gen_kwargs");
    if (!out.is_object()) fail_input("--gen_kwargs", "expected a JSON object or k=v,k2=v2");
  } else {
    for (const std::string& item : split(trimmed, ',')) {
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      if (eq == std::string::npos) fail_input("--gen_kwargs", "'{}' is not key=value", item);
      const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
      std::string lower = value;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower == "true" || lower == "false") {
        out[key] = lower == "true";
      } else if (!value.empty() && value.size() <= 18 &&
                 std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        out[key] = std::stoll(value);  // lm-eval: str.isnumeric() -> int
      } else {
        char* end = nullptr;
        const double number = std::strtod(value.c_str(), &end);
        out[key] = !value.empty() && end == value.c_str() + value.size() ? nlohmann::json(number) : nlohmann::json(value);
      }
    }
  }
  for (const auto& [key, value] : out.items()) {
    if (key == "until") {
      const bool ok = value.is_string() || (value.is_array() && std::all_of(value.begin(), value.end(),
                                                                             [](const auto& v) { return v.is_string(); }));
      if (!ok) fail_input("--gen_kwargs", "until: expected a string or a list of strings");
    } else if (key == "max_gen_toks") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 1000000)
        fail_input("--gen_kwargs", "max_gen_toks: expected an integer from 1 to 1000000, got {}", value.dump());
    } else if (key == "do_sample") {
      if (value != false) fail_input("--gen_kwargs", "do_sample={}: moebench decodes greedily", value.dump());
    } else if (key == "temperature") {
      if (!value.is_number() || value.get<double>() != 0)
        fail_input("--gen_kwargs", "temperature={}: moebench decodes greedily (temperature 0)", value.dump());
    } else {
      fail_input("--gen_kwargs", "'{}' is not supported (until, max_gen_toks, do_sample=false, temperature=0)", key);
    }
  }
  return out.empty() ? nlohmann::json() : out;
}

}  // namespace moebench::eval

#include "harness/eval/results_json.h"

#include <cmath>

#include "harness/util/text.h"

using nlohmann::json;

namespace moebench::eval {
namespace {

json number_or_na(double v) { return std::isnan(v) ? json("N/A") : json(v); }
json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// "exact_match,strict-match" -> "exact_match_stderr,strict-match".
std::string stderr_key(const std::string& key) {
  const size_t comma = key.find(',');
  return key.substr(0, comma) + "_stderr" + (comma == std::string::npos ? "" : key.substr(comma));
}

json metrics_entry(const std::string& alias, const std::map<std::string, MetricResult>& metrics) {
  json entry{{"alias", alias}};
  for (const auto& [key, r] : metrics) {
    entry[key] = number_or_null(r.value);
    entry[stderr_key(key)] = number_or_na(r.stderr_value);
  }
  return entry;
}

json higher_is_better(const std::map<std::string, MetricResult>& metrics) {
  json out = json::object();
  for (const auto& [key, r] : metrics) out[key.substr(0, key.find(','))] = r.higher_is_better;
  return out;
}

}  // namespace

json task_config_json(const TaskSpec& spec) {
  json filters = json::array();
  for (const FilterSpec& f : spec.filter_list) {
    json steps = json::array();
    for (const FilterStep& s : f.steps) {
      json step{{"function", s.function}};
      if (s.function == "regex") {
        step["regex_pattern"] = s.regex_pattern;
        step["group_select"] = s.group_select;
        step["fallback"] = s.fallback;
      }
      if (s.function == "take_first_k") step["k"] = s.k;
      steps.push_back(step);
    }
    filters.push_back({{"name", f.name}, {"filter", steps}});
  }
  json metrics = json::array();
  for (const MetricSpec& m : spec.metric_list) {
    json entry{{"metric", m.metric},
               {"aggregation", m.aggregation},
               {"higher_is_better", m.higher_is_better}};
    if (m.metric == "exact_match") {
      entry["ignore_case"] = m.ignore_case;
      entry["ignore_punctuation"] = m.ignore_punctuation;
      entry["regexes_to_ignore"] = m.regexes_to_ignore;
    }
    metrics.push_back(entry);
  }
  json config{{"task", spec.task},
              {"dataset_path", spec.dataset_path.string()},
              {"output_type", to_string(spec.output_type)},
              {"doc_to_text", spec.doc_to_text},
              {"target_delimiter", spec.target_delimiter},
              {"fewshot_delimiter", spec.fewshot_delimiter},
              {"num_fewshot", spec.num_fewshot},
              {"fewshot_seed", spec.fewshot_seed},
              {"fewshot_config", {{"sampler", spec.fewshot_config.sampler}}},
              {"repeats", spec.repeats},
              {"metric_list", metrics},
              {"metadata", spec.metadata}};
  if (spec.doc_to_target_index) {
    config["doc_to_target"] = *spec.doc_to_target_index;
  } else {
    config["doc_to_target"] = spec.doc_to_target;
  }
  if (!spec.doc_to_choice.empty()) config["doc_to_choice"] = spec.doc_to_choice;
  if (!spec.doc_to_choice_list.empty()) config["doc_to_choice"] = spec.doc_to_choice_list;
  if (!spec.description.empty()) config["description"] = spec.description;
  if (!spec.fewshot_path.empty()) config["fewshot_path"] = spec.fewshot_path.string();
  if (!spec.fewshot_config.doc_to_target.empty()) {
    config["fewshot_config"]["doc_to_target"] = spec.fewshot_config.doc_to_target;
  }
  if (!spec.filter_list.empty()) config["filter_list"] = filters;
  if (!spec.process_results.empty()) config["process_results"] = spec.process_results;
  if (spec.output_type == OutputType::GenerateUntil) {
    const GenerationKwargs& g = spec.generation_kwargs;
    config["generation_kwargs"] = {{"until", g.until},
                                   {"max_gen_toks", g.max_gen_toks},
                                   {"do_sample", g.do_sample},
                                   {"temperature", g.temperature}};
  }
  return config;
}

json results_json(const std::vector<TaskResult>& tasks, const std::vector<GroupResult>& groups,
                  const json& extra) {
  json out{{"results", json::object()},          {"groups", json::object()},
           {"group_subtasks", json::object()},   {"configs", json::object()},
           {"versions", json::object()},         {"n-shot", json::object()},
           {"higher_is_better", json::object()}, {"n-samples", json::object()}};
  std::map<std::string, bool> in_group;
  auto add_task = [&](const TaskResult& t, const std::string& alias) {
    const TaskSpec& spec = t.task->spec();
    out["results"][spec.task] = metrics_entry(alias, t.metrics);
    out["configs"][spec.task] = task_config_json(spec);
    out["versions"][spec.task] = spec.version();
    out["n-shot"][spec.task] = spec.num_fewshot;
    out["higher_is_better"][spec.task] = higher_is_better(t.metrics);
    out["n-samples"][spec.task] = {{"original", t.n_original}, {"effective", t.n_effective}};
  };
  for (const GroupResult& g : groups) {
    const SuiteSpec& suite = *g.suite;
    const std::string alias = suite.group_alias.empty() ? suite.group : suite.group_alias;
    out["results"][suite.group] = metrics_entry(alias, g.metrics);
    out["groups"][suite.group] = metrics_entry(alias, g.metrics);
    out["versions"][suite.group] = suite.version();
    out["higher_is_better"][suite.group] = higher_is_better(g.metrics);
    json subtasks = json::array();
    for (const TaskSpec& spec : suite.tasks) {
      subtasks.push_back(spec.task);
      for (const TaskResult& t : tasks) {
        if (t.task->name() == spec.task) {
          add_task(t, " - " + spec.task);
          in_group[spec.task] = true;
        }
      }
    }
    out["group_subtasks"][suite.group] = subtasks;
  }
  for (const TaskResult& t : tasks) {
    if (in_group.count(t.task->name())) continue;
    add_task(t, t.task->name());
    out["group_subtasks"][t.task->name()] = json::array();
  }
  if (out["groups"].empty()) out.erase("groups");
  for (const auto& [key, value] : extra.items()) out[key] = value;
  return out;
}

json sample_record(const Task& task, size_t doc_id, const std::vector<Request>& requests,
                   const std::vector<Response>& responses, const SampleScore& score,
                   const std::string& filter) {
  const OutputType type = task.spec().output_type;
  json arguments = json::object(), resps = json::array();
  for (size_t r = 0; r < requests.size(); ++r) {
    json args;
    if (type == OutputType::LoglikelihoodRolling) {
      args = {{"arg_0", sanitize_utf8(requests[r].continuation)}};
    } else if (type == OutputType::MultipleChoice) {
      args = {{"arg_0", sanitize_utf8(requests[r].context)},
              {"arg_1", sanitize_utf8(requests[r].continuation)}};
    } else {
      const GenerationKwargs& g = task.spec().generation_kwargs;
      args = {{"arg_0", sanitize_utf8(requests[r].context)},
              {"arg_1",
               {{"until", requests[r].until},
                {"max_gen_toks", requests[r].max_gen_toks},
                {"do_sample", g.do_sample},
                {"temperature", g.temperature}}}};
    }
    arguments["gen_args_" + std::to_string(r)] = args;
  }
  json filtered = json::array();
  for (const Response& resp : responses) {
    if (type == OutputType::GenerateUntil) {
      resps.push_back(json::array({sanitize_utf8(resp.text)}));
    } else if (type == OutputType::MultipleChoice) {
      resps.push_back(json::array({json::array({resp.logprob, resp.is_greedy})}));
      filtered.push_back(json::array({resp.logprob, resp.is_greedy}));
    } else {
      resps.push_back(json::array({resp.logprob}));
      filtered.push_back(resp.logprob);
    }
  }
  if (type == OutputType::GenerateUntil) {
    auto it = score.filtered.find(filter);
    if (it != score.filtered.end()) {
      for (const auto& text : it->second) filtered.push_back(sanitize_utf8(text));
    }
  }
  json record{{"doc_id", doc_id},
              {"doc", task.docs().at(doc_id)},
              {"target", sanitize_utf8(score.target)},
              {"arguments", arguments},
              {"resps", resps},
              {"filtered_resps", filtered},
              {"filter", filter},
              {"metrics", json::array()}};
  const std::string suffix = "," + filter;
  for (const auto& [key, value] : score.metrics) {
    if (key.size() <= suffix.size() ||
        key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string name = key.substr(0, key.size() - suffix.size());
    record["metrics"].push_back(name);
    record[name] = number_or_null(value);
  }
  auto programs = score.program_results.find(filter);
  if (programs != score.program_results.end()) record["program_results"] = programs->second;
  return record;
}

}  // namespace moebench::eval

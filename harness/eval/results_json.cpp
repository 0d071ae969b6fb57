#include "harness/eval/results_json.h"

#include "harness/eval/task_selection.h"

#include <cmath>

#include "harness/util/sha256.h"
#include "harness/util/text.h"

using nlohmann::json;

namespace moebench::eval {
namespace {

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

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
  // lm-eval's TaskConfig.to_dict: these keys are always written (their defaults are not None).
  json config{{"task", spec.task},
              {"dataset_path", spec.dataset_path.string()},
              {"doc_to_text", spec.doc_to_text},
              {"unsafe_code", runs_generated_code(spec)},
              {"description", spec.description},
              {"target_delimiter", spec.target_delimiter},
              {"fewshot_delimiter", spec.fewshot_delimiter},
              {"num_fewshot", spec.num_fewshot},
              {"fewshot_seed", spec.fewshot_seed},
              {"fewshot_config", {{"sampler", spec.fewshot_config.sampler}}},
              {"metric_list", metrics},
              {"output_type", to_string(spec.output_type)},
              {"repeats", spec.repeats},
              {"should_decontaminate", false},
              {"metadata", spec.metadata}};
  if (spec.doc_to_target_index) {
    config["doc_to_target"] = *spec.doc_to_target_index;
  } else {
    config["doc_to_target"] = spec.doc_to_target;
  }
  if (!spec.doc_to_choice.empty()) config["doc_to_choice"] = spec.doc_to_choice;
  if (!spec.doc_to_choice_list.empty()) config["doc_to_choice"] = spec.doc_to_choice_list;
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

SampleHashes sample_hashes(const Task& task, size_t doc_id, const std::vector<Request>& requests) {
  SampleHashes h;
  h.doc_hash = sha256_hex(task.docs().at(doc_id).dump(2, ' ', false, json::error_handler_t::replace));
  if (!requests.empty()) {
    const bool rolling = task.spec().output_type == OutputType::LoglikelihoodRolling;
    h.prompt_hash = sha256_hex(rolling ? requests[0].continuation : requests[0].context);
  }
  h.target_hash = sha256_hex(task.target_string(doc_id));
  return h;
}

nlohmann::ordered_json sample_record(const Task& task, size_t doc_id, const std::vector<Request>& requests,
                                     const std::vector<Response>& responses, const SampleScore& score,
                                     const std::string& filter, const SampleHashes& hashes) {
  using ojson = nlohmann::ordered_json;
  const OutputType type = task.spec().output_type;
  // Python's str() of what lm-eval keeps: floats by repr, booleans True/False.
  const auto str = [](double v) { return json(v).dump(); };
  const auto py_bool = [](bool b) { return std::string(b ? "True" : "False"); };
  ojson arguments = ojson::object(), resps = ojson::array();
  for (size_t r = 0; r < requests.size(); ++r) {
    ojson args;
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
  ojson filtered = ojson::array();
  for (const Response& resp : responses) {
    if (type == OutputType::GenerateUntil) {
      resps.push_back(ojson::array({sanitize_utf8(resp.text)}));
    } else if (type == OutputType::MultipleChoice) {
      resps.push_back(ojson::array({ojson::array({str(resp.logprob), py_bool(resp.is_greedy)})}));
      filtered.push_back(ojson::array({str(resp.logprob), py_bool(resp.is_greedy)}));
    } else {
      resps.push_back(ojson::array({str(resp.logprob)}));
      filtered.push_back(str(resp.logprob));
    }
  }
  if (type == OutputType::GenerateUntil) {
    auto it = score.filtered.find(filter);
    if (it != score.filtered.end()) {
      for (const auto& text : it->second) filtered.push_back(sanitize_utf8(text));
    }
  }
  ojson record{{"doc_id", doc_id},
               {"doc", ojson::parse(task.docs().at(doc_id).dump(-1, ' ', false, json::error_handler_t::replace))},
               {"target", sanitize_utf8(task.target_string(doc_id))},
               {"arguments", arguments},
               {"resps", resps},
               {"filtered_resps", filtered},
               {"filter", filter},
               {"metrics", ojson::array()},
               {"doc_hash", hashes.doc_hash},
               {"prompt_hash", hashes.prompt_hash},
               {"target_hash", hashes.target_hash}};
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

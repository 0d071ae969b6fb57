#include "harness/jobs/plan_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <sstream>

#include "harness/io/json_input.h"
#include "harness/io/model_config.h"
#include "harness/io/parameter_count.h"
#include "harness/merge/gate_stats.h"
#include "harness/merge/gates_file.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/merge_recipe.h"
#include "harness/merge/model_resolver.h"
#include "harness/model/language_model.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/file_input.h"

namespace fs = std::filesystem;

namespace moebench::jobs {
namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

void check_model(const RunPlan& plan, const PlanModel& m, size_t index, const eval::LoadedTasks& tasks) {
  const std::string field = m.source_of.empty() ? fmt::format("models[{}]", index)
                                                : fmt::format("a source of '{}'", m.source_of);
  if (!m.generations.empty()) {
    const Generations g = read_generations(m.generations);
    for (const eval::Task& t : tasks.tasks)
      if (!g.count(t.name())) fail_input(m.generations, "no generations for task '{}'", t.name());
    return;
  }
  std::error_code ec;
  if (merge::is_recipe_path(m.path)) {
    const merge::MergeRecipe recipe = merge::MergeRecipe::load(m.path);
    merge::MergeOptions where;
    where.search_dirs = plan.open.models_dir;  // empty: the recipe's folder, then the working directory
    const auto search = merge::model_search_dirs(recipe, where);
    merge::resolve_model(recipe.base_model, m.path + ": base_model", search);
    std::vector<std::string> labels;
    for (size_t e = 0; e < recipe.experts.size(); ++e) {
      merge::resolve_model(recipe.experts[e].source_model, fmt::format("{}: experts[{}].source_model", m.path, e),
                           search);
      labels.push_back(recipe.experts[e].source_model);
    }
    std::set<std::string> suites;
    for (const auto& s : tasks.suites) suites.insert(s.group);
    for (const auto& [suite, label] : m.expected_experts) {
      if (!suites.count(suite))
        fail_input(plan.file.string(), "{}.expected_experts.{}: the plan runs no suite '{}' (its suites: {})", field,
                   suite, suite, fmt::join(suites, ", "));
      if (std::find(labels.begin(), labels.end(), label) == labels.end())
        fail_input(plan.file.string(), "{}.expected_experts.{}: '{}' is not one of the recipe's experts ({})", field,
                   suite, label, fmt::join(labels, ", "));
    }
    if (!m.force_expert.empty() && std::find(labels.begin(), labels.end(), m.force_expert) == labels.end())
      fail_input("--force-expert", "'{}' is not an expert of {} (its experts: {})", m.force_expert, m.path,
                 fmt::join(labels, ", "));
  } else {
    if (!fs::is_directory(m.path, ec)) fail_input(plan.file.string(), "{}: model directory '{}' not found", field, m.path);
    io::ModelConfig::load(m.path);
    if (!m.expected_experts.empty())
      fail_input(plan.file.string(), "{}.expected_experts: only a recipe names experts ('{}' is a directory)", field,
                 m.path);
    if (m.force_experts)
      fail_input(plan.file.string(), "{}.force_experts: only a recipe names experts ('{}' is a directory)", field,
                 m.path);
    if (!m.force_expert.empty())
      fail_input("--force-expert", "only a recipe names experts ('{}' is a directory)", m.path);
  }
  if (!m.gates_file.empty() && !fs::is_regular_file(m.gates_file, ec))
    fail_input(plan.file.string(), "{}.gates: file '{}' not found", field, m.gates_file);
  // Gates made for other experts fail now, not after the models before them ran.
  if (!m.gates_file.empty() && merge::is_recipe_path(m.path))
    merge::check_gates_fit(merge::read_gates_lineage(m.gates_file), merge::MergeRecipe::load(m.path), m.gates_file);
}

nlohmann::json special_token(const io::Tokenizer& t, int32_t id) {
  if (id < 0 || id >= t.vocab_size()) return nlohmann::json::array({nullptr, nullptr});
  return nlohmann::json::array({t.id_to_piece(id), id});
}

}  // namespace

Generations read_generations(const std::string& path) {
  Generations out;
  const std::string text = read_input_file(path, kMaxDatasetBytes);
  require_line_lengths(text, path, kMaxLineBytes);
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, n);
    nlohmann::json j = io::parse_json_text(line, where);
    if (!j.is_object()) fail_input(where, "expected a JSON object per line");
    if (!j.contains("task") || !j["task"].is_string()) fail_input(where, "field 'task' missing");
    if (!j.contains("doc_id") || !j["doc_id"].is_number_unsigned()) {
      fail_input(where, "field 'doc_id': expected a non-negative integer");
    }
    auto& texts = out[j["task"]][j["doc_id"].get<size_t>()];
    const auto& r = j.contains("resps") ? j["resps"] : j.value("response", nlohmann::json());
    for (const auto& t : r.is_array() ? r : nlohmann::json::array({r})) {
      if (!t.is_string()) fail_input(where, "responses must be strings");
      texts.push_back(t.get<std::string>());
    }
  }
  return out;
}

eval::LoadedTasks check_plan(const RunPlan& plan) {
  eval::LoadedTasks tasks = eval::load_tasks(plan.tasks);
  for (size_t i = 0; i < plan.models.size(); ++i) check_model(plan, plan.models[i], i, tasks);
  return tasks;
}

store::ModelInfo plan_model_info(const PlanModel& m, const model::LanguageModel* lm) {
  store::ModelInfo info;
  info.name = m.name;
  info.path = m.generations.empty() ? m.path : m.generations;
  info.gate_variant = m.gate_variant;
  std::string fingerprint_text;
  if (lm) {
    const io::ModelConfig& c = lm->config();
    info.architecture = c.architecture;
    info.num_layers = c.num_layers;
    info.num_experts = c.num_experts;
    info.experts_per_token = c.experts_per_token;
    info.max_length = lm->max_length();
    info.num_parameters = io::count_parameters(c).total;
    const io::Tokenizer& t = lm->tokenizer();
    info.special_tokens = {{"bos", special_token(t, t.bos_id())},
                           {"eos", special_token(t, t.eos_id())},
                           {"pad", special_token(t, t.pad_id())}};
    fingerprint_text = c.raw.dump();
  }
  if (!m.generations.empty()) {
    fingerprint_text += read_file(m.generations);
  } else if (merge::is_recipe_path(m.path)) {
    merge::MergeRecipe recipe = merge::MergeRecipe::load(m.path);
    info.recipe_path = m.path;
    info.recipe = recipe.text;  // the recipe as written; a variant's changes are below
    info.base_model = recipe.base_model;
    if (m.variant_recipe) {
      recipe = *m.variant_recipe;
      info.ablation = m.ablation;
      // What the variant changed is part of what it is (a prompts file may change under the same name).
      nlohmann::json changed = {m.ablation, merge::gate_mode_name(recipe.gate_mode), recipe.experts_per_token};
      for (const auto& e : recipe.experts) changed.push_back({e.positive_prompts, e.negative_prompts});
      fingerprint_text += changed.dump();
    }
    if (info.gate_variant.empty()) info.gate_variant = merge::gate_mode_name(recipe.gate_mode);
    info.gate_mode = merge::gate_mode_name(recipe.gate_mode);
    for (const auto& e : recipe.experts)
      info.experts.push_back({e.source_model, e.source_model, e.positive_prompts, e.negative_prompts});
    fingerprint_text += info.recipe;
  } else {
    fingerprint_text += read_file(fs::path(m.path) / "config.json");
  }
  if (!m.gates_file.empty()) {
    fingerprint_text += read_file(m.gates_file);
    // The routers came from the file: its mode and prompts are the lineage (the recipe's are not).
    const merge::GatesLineage gates = merge::read_gates_lineage(m.gates_file);
    info.gates_file = m.gates_file;
    info.gate_mode = gates.gate_mode;
    for (size_t e = 0; e < info.experts.size(); ++e) {
      info.experts[e].positive_prompts = e < gates.experts.size() ? gates.experts[e].positive_prompts
                                                                  : std::vector<std::string>{};
      info.experts[e].negative_prompts = e < gates.experts.size() ? gates.experts[e].negative_prompts
                                                                  : std::vector<std::string>{};
    }
  }
  if (lm && lm->config().is_moe()) {
    info.gates_hash = merge::gates_hash(merge::model_gates(*lm));
    // Routers as loaded (after a gates file), read as their mode reads them: what the report's gate table shows.
    const auto mode = merge::parse_gate_mode(info.gate_mode);
    info.gate_stats = merge::model_gate_stats(*lm, mode ? merge::gate_reading(*mode) : merge::GateReading::Raw);
  }
  info.content_hash = fingerprint(fingerprint_text);
  return info;
}

std::string expected_expert_label(const PlanModel& plan_model, const store::ModelInfo& model,
                                  const std::string& suite, const std::string& expected) {
  auto it = plan_model.expected_experts.find(suite);
  if (it != plan_model.expected_experts.end()) return it->second;  // checked by check_plan
  if (expected.empty()) return "";
  const std::string want = lower(expected.substr(0, expected.find(':')));
  for (const auto& e : model.experts) {
    if (lower(e.label).find(want) != std::string::npos) return e.label;
    for (const auto& p : e.positive_prompts) {
      if (lower(p).find(want) != std::string::npos) return e.label;
    }
  }
  return "";
}

int expert_index(const store::ModelInfo& model, const std::string& label) {
  for (size_t e = 0; e < model.experts.size(); ++e)
    if (model.experts[e].label == label) return static_cast<int>(e);
  return -1;
}

}  // namespace moebench::jobs

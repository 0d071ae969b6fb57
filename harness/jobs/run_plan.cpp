#include "harness/jobs/run_plan.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include <limits>

#include "harness/eval/yaml_fields.h"
#include "harness/io/yaml_input.h"
#include "harness/jobs/ablation_variants.h"
#include "harness/merge/merge_inputs.h"
#include "harness/merge/merge_recipe.h"
#include "harness/merge/model_resolver.h"
#include "harness/util/error.h"
#include "harness/util/file_input.h"
#include "harness/util/fnv.h"
#include "harness/util/text.h"
#include "harness/util/thread_count.h"

namespace fs = std::filesystem;

namespace moebench::jobs {
namespace {

std::vector<std::string> string_list(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (!node) return out;
  if (node.IsScalar()) return split(node.as<std::string>(), ',');
  if (!node.IsSequence()) fail_input(where, "expected a list of strings");
  for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

void read_settings(const YAML::Node& node, const std::string& file, RunPlan* plan) {
  if (!node) return;
  const eval::YamlFields s(node, file, "settings.");
  s.check_keys({"limit", "batch_size", "device", "dtype", "threads", "chat_template",
                "add_bos_token", "routing", "routing_token_cap", "docs_per_transaction",
                "num_fewshot", "gen_kwargs", "seed"},
               "settings");
  plan->eval.limit = static_cast<double>(s.get_int("limit", -1, 0, std::numeric_limits<int64_t>::max()));
  if (s.has("batch_size")) {
    plan->batch_size_text = s.get_string("batch_size");
    plan->engine.batch_size = engine::parse_batch_size(plan->batch_size_text, s.where("batch_size") +
                                                       ": field 'settings.batch_size'");
  }
  model::LoadOptions& load = plan->open.load;
  load.origin = s.where() + ": settings";
  load.device = s.get_string("device", "cpu");
  load.dtype = s.get_string("dtype", "float32");
  load.threads = static_cast<int>(s.get_int("threads", 0, 0, max_thread_count()));
  model::check_load_options(load);
  plan->tasks.num_fewshot = s.get_int("num_fewshot", -1, 0, 1000000);
  if (s.has("gen_kwargs")) plan->tasks.gen_kwargs = eval::parse_gen_kwargs(s.get_string("gen_kwargs"));
  if (s.has("seed")) {
    plan->seeds = parse_seeds(s.get_string("seed"), s.where("seed") + ": field 'settings.seed'");
    plan->tasks.fewshot_seed = plan->seeds[3];
  }
  plan->engine.add_bos_token = s.get_bool("add_bos_token", false);
  plan->routing.mode = store::parse_routing_mode(s.get_string("routing", "tokens"),
                                          s.where("routing") + ": field 'settings.routing'");
  plan->routing.token_cap =
      s.get_int("routing_token_cap", plan->routing.token_cap, 0, std::numeric_limits<int64_t>::max());
  plan->docs_per_transaction = s.get_int("docs_per_transaction", 16, 1, 1000000);
  // chat_template is resolved per model (auto reads its tokenizer_config.json).
  plan->eval.chat = eval::ChatFormat::None;
  const std::string chat = s.get_string("chat_template", "none");
  if (chat != "none") plan->eval.chat = eval::resolve_chat_format(chat, "");
}

}  // namespace

RunPlan load_run_plan(const fs::path& file) {
  const std::string where = file.string();
  const std::string text = read_input_file(file, kMaxYamlBytes);
  const YAML::Node root = io::parse_yaml_text(text, where);
  if (!root.IsMap()) fail_input(where, "expected a mapping with 'plan', 'models' and 'suites'");
  RunPlan plan;
  try {
    const eval::YamlFields top(root, where);
    top.check_keys({"plan", "models", "suites", "tasks", "tasks_dir", "data", "settings"}, "a run plan");
    plan.file = fs::absolute(file);
    plan.hash = fingerprint(text);
    plan.name = top.get_string("plan", file.stem().string());
    const fs::path dir = plan.file.parent_path();
    plan.tasks.suites = string_list(root["suites"], where + ": suites");
    plan.tasks.tasks = string_list(root["tasks"], where + ": tasks");
    plan.tasks.tasks_dir = eval::default_tasks_dir();
    if (top.has("tasks_dir")) {  // suites of the plan's own, e.g. the demo world's
      const fs::path t = top.get_string("tasks_dir");
      plan.tasks.tasks_dir = t.is_absolute() ? t : dir / t;
      if (!fs::is_directory(plan.tasks.tasks_dir))
        fail_input(where, "field 'tasks_dir': {} is not a directory", plan.tasks.tasks_dir.string());
    }
    if (root["data"]) {
      for (const auto& kv : root["data"]) {
        fs::path p = kv.second.as<std::string>();
        plan.tasks.data.push_back(kv.first.as<std::string>() + "=" + (p.is_absolute() ? p : dir / p).string());
      }
    }
    read_settings(root["settings"], where, &plan);
    if (!root["models"] || !root["models"].IsSequence() || root["models"].size() == 0) {
      fail_input(where, "field 'models': expected a non-empty list");
    }
    std::set<std::string> names;
    auto add = [&](PlanModel m, const std::string& at) {
      if (!names.insert(m.name).second) {
        if (!m.source_of.empty()) return;  // a base/expert shared by several recipes
        fail_input(at, "model name '{}' is used twice", m.name);
      }
      plan.models.push_back(std::move(m));
    };
    std::vector<PlanModel> sources;
    for (size_t i = 0; i < root["models"].size(); ++i) {
      const eval::YamlFields m(root["models"][i], where, fmt::format("models[{}].", i));
      const std::string at = m.where();
      m.check_keys({"name", "path", "recipe", "gates", "gate_variant", "evaluate_sources",
                    "expected_experts", "force_experts", "variants"}, "a plan's model");
      PlanModel pm;
      const std::string path = m.has("recipe") ? m.get_string("recipe") : m.get_string("path");
      if (path.empty()) fail_input(at, "give 'path' (a model directory) or 'recipe'");
      pm.path = fs::path(path).is_absolute() ? path : (dir / path).string();
      pm.name = m.get_string("name", fs::path(path).stem().string());
      if (m.has("gates")) {
        fs::path g = m.get_string("gates");
        pm.gates_file = (g.is_absolute() ? g : dir / g).string();
      }
      if (m.has("expected_experts")) {
        const eval::YamlFields expected(m.node("expected_experts"), where,
                                        m.field("expected_experts."));
        for (const auto& kv : m.node("expected_experts"))
          pm.expected_experts[kv.first.as<std::string>()] =
              expected.get_string(kv.first.as<std::string>());
      }
      pm.gate_variant = m.get_string(
          "gate_variant", pm.gates_file.empty() ? "" : fs::path(pm.gates_file).stem().string());
      pm.force_experts = m.get_bool("force_experts", false);
      if (pm.force_experts) {
        // The router no longer picks experts, so a gate variant would label nothing.
        if (m.has("gates") || m.has("gate_variant"))
          fail_input(at, "field '{}': the router is bypassed, so 'gates' and 'gate_variant' do not apply "
                     "(list the model twice, with another name, to run both)", m.field("force_experts"));
        pm.gate_variant = "oracle";
      }
      add(pm, at);
      if (m.has("variants")) {
        if (!m.has("recipe") || m.has("gates") || pm.force_experts)
          fail_input(at, "field '{}': variants are built from a recipe's own gates; give 'recipe' without "
                     "'gates' or 'force_experts'", m.field("variants"));
        std::vector<std::string> notes;
        for (PlanModel& v : ablation_models(pm, split_variant_words(string_list(root["models"][i]["variants"], at)),
                                            dir, at + ": field '" + m.field("variants") + "'", &notes))
          add(std::move(v), at);
        plan.notes.insert(plan.notes.end(), notes.begin(), notes.end());
      }
      if (m.has("recipe") && m.get_bool("evaluate_sources", true)) {
        merge::MergeRecipe recipe = merge::MergeRecipe::load(pm.path);
        const std::vector<fs::path> search = merge::model_search_dirs(recipe, {});
        auto source = [&](const std::string& ref, const std::string& field) {
          PlanModel s;
          s.path = merge::resolve_model(ref, field, search).dir.string();
          s.name = ref;
          s.source_of = pm.name;
          sources.push_back(s);
        };
        source(recipe.base_model, "base_model");
        for (size_t e = 0; e < recipe.experts.size(); ++e) {
          source(recipe.experts[e].source_model, fmt::format("experts[{}].source_model", e));
        }
      }
    }
    for (auto& s : sources) add(s, where);
  } catch (const YAML::Exception& e) {
    fail_input(where, "line {}: {}", e.mark.line + 1, e.msg);
  }
  return plan;
}

std::vector<PlanModel> ablation_models(const PlanModel& recipe_model, const std::vector<std::string>& words,
                                       const fs::path& base_dir, const std::string& where,
                                       std::vector<std::string>* notes) {
  const merge::MergeRecipe recipe = merge::MergeRecipe::load(recipe_model.path);
  std::vector<std::string> left_out;
  std::vector<PlanModel> out;
  for (AblationVariant& v : expand_variants(recipe, words, base_dir, where, &left_out)) {
    PlanModel m;
    m.name = recipe_model.name + "/" + v.name;
    m.path = recipe_model.path;
    m.expected_experts = recipe_model.expected_experts;
    m.gate_variant = v.name;
    m.ablation = v.name;
    m.variant_recipe = std::make_shared<const merge::MergeRecipe>(std::move(v.recipe));
    out.push_back(std::move(m));
  }
  if (notes)
    for (const std::string& n : left_out) notes->push_back(recipe_model.name + ": " + n);
  return out;
}

std::vector<int64_t> parse_seeds(const std::string& text, const std::string& where) {
  std::vector<int64_t> out;
  for (std::string item : split(text, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    for (char& c : item) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (item == "none") {
      out.push_back(-1);
      continue;
    }
    const auto n = parse_int_list(item, where);
    if (n.size() != 1 || n[0] < 0 || n[0] > 4294967295LL)
      fail_input(where, "'{}' is not a seed (0 to 4294967295, or none)", item);
    out.push_back(n[0]);
  }
  if (out.size() == 1) out.resize(4, out[0]);
  if (out.size() == 3) out.push_back(1234);
  if (out.size() != 4) fail_input(where, "expected 1, 3 or 4 comma-separated seeds, got '{}'", text);
  return out;
}

std::string fingerprint(const std::string& text) { return fnv_hex(fnv1a64(text.data(), text.size())); }

std::vector<WorkUnit> shard_units(size_t models, size_t tasks, int index, int count) {
  std::vector<WorkUnit> out;
  for (size_t i = 0; i < models * tasks; ++i) {
    if (static_cast<int>(i % count) == index) out.push_back({i / tasks, i % tasks});
  }
  return out;
}

std::pair<int, int> parse_shard(const std::string& text) {
  const auto parts = split(text, '/');
  if (parts.size() == 2) {
    const auto nums = parse_int_list(parts[0] + "," + parts[1], "--shard");
    if (nums[1] >= 1 && nums[0] >= 0 && nums[0] < nums[1]) {
      return {static_cast<int>(nums[0]), static_cast<int>(nums[1])};
    }
  }
  fail_input("--shard", "expected i/N with 0 <= i < N, got '{}'", text);
}

}  // namespace moebench::jobs

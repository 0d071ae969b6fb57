#include "harness/store/run_plan.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "harness/merge/merge_recipe.h"
#include "harness/merge/model_resolver.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;

namespace moebench::store {
namespace {

void check_keys(const YAML::Node& node, const std::vector<std::string>& known,
                const std::string& where) {
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      const std::string near = closest_match(key, known);
      fail_input(where, "unknown key '{}'{}", key,
                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
    }
  }
}

std::vector<std::string> string_list(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (!node) return out;
  if (node.IsScalar()) return split(node.as<std::string>(), ',');
  if (!node.IsSequence()) fail_input(where, "expected a list of strings");
  for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

void read_settings(const YAML::Node& s, const std::string& where, RunPlan* plan) {
  if (!s) return;
  check_keys(s, {"limit", "batch_size", "device", "dtype", "threads", "chat_template",
                 "add_bos_token", "routing", "routing_token_cap", "docs_per_transaction"},
             where + ": settings");
  plan->eval.limit = s["limit"].as<int64_t>(-1);
  plan->engine.batch_size = s["batch_size"] && s["batch_size"].as<std::string>() == "auto"
                                ? 0 : s["batch_size"].as<int>(16);
  plan->load.device = s["device"].as<std::string>("cpu");
  plan->load.dtype = s["dtype"].as<std::string>("float32");
  plan->load.threads = s["threads"].as<int>(0);
  plan->engine.add_bos_token = s["add_bos_token"].as<bool>(false);
  plan->routing.mode = parse_routing_mode(s["routing"].as<std::string>("tokens"), where + ": settings.routing");
  plan->routing.token_cap = s["routing_token_cap"].as<int64_t>(plan->routing.token_cap);
  plan->docs_per_transaction = s["docs_per_transaction"].as<int64_t>(16);
  if (plan->docs_per_transaction < 1) fail_input(where, "settings.docs_per_transaction must be >= 1");
  // chat_template is resolved per model (auto reads its tokenizer_config.json).
  plan->eval.chat = eval::ChatFormat::None;
  if (s["chat_template"] && s["chat_template"].as<std::string>() != "none") {
    plan->eval.chat = eval::resolve_chat_format(s["chat_template"].as<std::string>(), "");
  }
}

}  // namespace

RunPlan load_run_plan(const fs::path& file) {
  const std::string where = file.string();
  const std::string text = read_file(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail_input(where, "malformed YAML: {}", e.what());
  }
  if (!root.IsMap()) fail_input(where, "expected a mapping with 'plan', 'models' and 'suites'");
  RunPlan plan;
  try {
    check_keys(root, {"plan", "models", "suites", "tasks", "data", "settings"}, where);
    plan.file = fs::absolute(file);
    plan.hash = fingerprint(text);
    plan.name = root["plan"].as<std::string>(file.stem().string());
    const fs::path dir = plan.file.parent_path();
    plan.tasks.suites = string_list(root["suites"], where + ": suites");
    plan.tasks.tasks = string_list(root["tasks"], where + ": tasks");
    plan.tasks.tasks_dir = eval::default_tasks_dir();
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
      const YAML::Node m = root["models"][i];
      const std::string at = fmt::format("{}: models[{}]", where, i);
      check_keys(m, {"name", "path", "recipe", "gates", "gate_variant", "evaluate_sources",
                     "expected_experts"}, at);
      PlanModel pm;
      const std::string path = m["recipe"] ? m["recipe"].as<std::string>() : m["path"].as<std::string>("");
      if (path.empty()) fail_input(at, "give 'path' (a model directory) or 'recipe'");
      pm.path = fs::path(path).is_absolute() ? path : (dir / path).string();
      pm.name = m["name"].as<std::string>(fs::path(path).stem().string());
      if (m["gates"]) {
        fs::path g = m["gates"].as<std::string>();
        pm.gates_file = (g.is_absolute() ? g : dir / g).string();
      }
      if (m["expected_experts"]) {
        if (!m["expected_experts"].IsMap()) fail_input(at, "expected_experts: expected suite: source_model pairs");
        for (const auto& kv : m["expected_experts"]) {
          pm.expected_experts[kv.first.as<std::string>()] = kv.second.as<std::string>();
        }
      }
      pm.gate_variant = m["gate_variant"].as<std::string>(pm.gates_file.empty() ? "" : fs::path(pm.gates_file).stem().string());
      add(pm, at);
      if (m["recipe"] && m["evaluate_sources"].as<bool>(true)) {
        merge::MergeRecipe recipe = merge::MergeRecipe::load(pm.path);
        const std::vector<fs::path> search{fs::path(pm.path).parent_path(), fs::current_path()};
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

std::string fingerprint(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

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

}  // namespace moebench::store

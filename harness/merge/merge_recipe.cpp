#include "harness/merge/merge_recipe.h"

#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "harness/io/yaml_input.h"
#include "harness/util/file_input.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;

namespace moebench::merge {
namespace {

// The keys of mergekit's MoEMergeConfig and Expert (mergekit/moe/config.py).
const std::vector<std::string> kRecipeKeys = {"base_model", "gate_mode", "dtype",
                                              "experts_per_token", "experts", "shared_experts",
                                              "architecture"};
// positive_prompts_file is a moebench extension (many example texts, for the
// router_state and fitted gate modes); mergekit's keys keep their meaning.
const std::vector<std::string> kExpertKeys = {"source_model", "positive_prompts", "positive_prompts_file",
                                              "negative_prompts", "noise_scale", "residual_scale"};
const std::vector<std::pair<std::string, GateMode>> kGateModes = {
    {"hidden", GateMode::Hidden},         {"hidden_last", GateMode::Hidden},
    {"hidden_avg", GateMode::HiddenAvg},  {"cheap_embed", GateMode::CheapEmbed},
    {"random", GateMode::Random},         {"uniform_random", GateMode::UniformRandom},
    {"router_state", GateMode::RouterState}, {"fitted", GateMode::Fitted}};
// mergekit's other output architectures (mergekit/moe/__init__.py); moebench
// evaluates Mixtral only, so these are "not supported yet" rather than unknown.
const std::vector<std::string> kOtherArchitectures = {"deepseek", "qwen", "qwen3", "kormo"};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A YAML value as it should appear in a message.
std::string shown(const YAML::Node& node) {
  if (node.IsNull()) return "null";
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  return node.IsSequence() ? "a list" : "a mapping";
}

// Parses one recipe; every error names the file, the line and the field path.
class Parser {
 public:
  explicit Parser(std::string where) : where_(std::move(where)) {}

  template <typename... Args>
  [[noreturn]] void fail(const YAML::Node& node, const std::string& field,
                         fmt::format_string<Args...> format, Args&&... args) const {
    std::string at = node.Mark().is_null() ? where_ : fmt::format("{}:{}", where_, node.Mark().line + 1);
    fail_input(at, "field '{}': {}", field, fmt::format(format, std::forward<Args>(args)...));
  }

  // The mapping's entries by key, refusing unknown and duplicate keys.
  std::map<std::string, YAML::Node> entries(const YAML::Node& map, const std::string& field,
                                            const std::vector<std::string>& allowed) const {
    if (!map.IsMap()) fail(map, field, "expected a mapping of keys, got {}", shown(map));
    std::map<std::string, YAML::Node> out;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
      const std::string path = field.empty() ? key : field + "." + key;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string close = closest_match(key, allowed);
        fail(it->first, path, "unknown key{} (allowed: {})",
             close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close), fmt::join(allowed, ", "));
      }
      if (!out.emplace(key, it->second).second) fail(it->first, path, "given twice");
    }
    return out;
  }

  std::string text(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) fail(node, field, "expected a string, got {}", shown(node));
    return node.Scalar();
  }
  std::vector<std::string> texts(const YAML::Node& node, const std::string& field) const {
    if (!node.IsSequence()) fail(node, field, "expected a list of strings, got {}", shown(node));
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) out.push_back(text(node[i], fmt::format("{}[{}]", field, i)));
    return out;
  }
  double number(const YAML::Node& node, const std::string& field) const {
    double value = 0;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !std::isfinite(value))
      fail(node, field, "expected a finite number, got {}", shown(node));
    return value;
  }
  int64_t integer(const YAML::Node& node, const std::string& field) const {
    int64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, value))
      fail(node, field, "expected an integer, got {}", shown(node));
    return value;
  }
  // A model reference: mergekit also parses "model+lora", which we cannot apply.
  std::string model(const YAML::Node& node, const std::string& field) const {
    std::string value = text(node, field);
    if (value.empty()) fail(node, field, "expected a model directory or Hugging Face repo id, got ''");
    if (value.find('+') != std::string::npos)
      fail(node, field, "'{}' names a LoRA adapter (model+lora), which moebench cannot apply yet", value);
    return value;
  }

  ExpertRecipe expert(const YAML::Node& node, const std::string& field) const {
    ExpertRecipe e;
    auto keys = entries(node, field, kExpertKeys);
    auto present = [&](const char* key) { return keys.count(key) && !keys.at(key).IsNull(); };
    if (!present("source_model")) fail(node, field + ".source_model", "is missing");
    e.source_model = model(keys["source_model"], field + ".source_model");
    if (present("positive_prompts"))
      e.positive_prompts = texts(keys["positive_prompts"], field + ".positive_prompts");
    if (present("positive_prompts_file")) {
      const std::string at = field + ".positive_prompts_file";
      fs::path file = text(keys["positive_prompts_file"], at);
      if (file.is_relative()) file = fs::path(where_).parent_path() / file;  // beside the recipe
      std::error_code ec;
      if (!fs::is_regular_file(file, ec)) fail(keys["positive_prompts_file"], at, "{} is not a file", file.string());
      // A YAML list of texts, appended to positive_prompts.
      for (const std::string& p : Parser(file.string()).texts(io::read_yaml_file(file), "the list of prompts"))
        e.positive_prompts.push_back(p);
    }
    if (present("negative_prompts"))
      e.negative_prompts = texts(keys["negative_prompts"], field + ".negative_prompts");
    if (present("noise_scale")) {
      e.noise_scale = number(keys["noise_scale"], field + ".noise_scale");
      if (*e.noise_scale < 0) fail(keys["noise_scale"], field + ".noise_scale", "must be >= 0, got {}", *e.noise_scale);
    }
    if (present("residual_scale")) e.residual_scale = number(keys["residual_scale"], field + ".residual_scale");
    return e;
  }

  MergeRecipe recipe(const YAML::Node& root) const {
    MergeRecipe r;
    if (root.IsNull()) fail_input(where_, "empty recipe (expected base_model, experts, ...)");
    auto keys = entries(root, "", kRecipeKeys);
    auto present = [&](const char* key) { return keys.count(key) && !keys.at(key).IsNull(); };
    if (!present("base_model")) fail(root, "base_model", "is missing");
    r.base_model = model(keys["base_model"], "base_model");
    if (present("gate_mode")) r.gate_mode = gate_mode(keys["gate_mode"]);
    if (present("dtype")) r.dtype = dtype(keys["dtype"]);
    if (present("experts_per_token")) r.experts_per_token = integer(keys["experts_per_token"], "experts_per_token");
    if (!present("experts")) fail(root, "experts", "is missing (a list of source_model entries)");
    const YAML::Node& list = keys["experts"];
    if (!list.IsSequence()) fail(list, "experts", "expected a list of experts, got {}", shown(list));
    for (size_t i = 0; i < list.size(); ++i) r.experts.push_back(expert(list[i], fmt::format("experts[{}]", i)));
    if (present("architecture")) r.architecture = architecture(keys["architecture"]);
    if (present("shared_experts")) {
      const YAML::Node& shared = keys["shared_experts"];
      if (!shared.IsSequence()) fail(shared, "shared_experts", "expected a list of experts, got {}", shown(shared));
      for (size_t i = 0; i < shared.size(); ++i) expert(shared[i], fmt::format("shared_experts[{}]", i));
      if (shared.size() > 0)
        fail(shared, "shared_experts",
             "Mixtral has no shared experts (mergekit writes them only for its Qwen MoE and DeepSeek "
             "MoE outputs, which moebench does not support yet); remove the key");
    }
    return r;
  }

  GateMode gate_mode(const YAML::Node& node) const {
    std::string value = text(node, "gate_mode");
    if (auto mode = parse_gate_mode(value)) return *mode;
    std::vector<std::string> names;
    for (const auto& entry : kGateModes) names.push_back(entry.first);
    std::string close = closest_match(value, names);
    fail(node, "gate_mode", "unknown gate mode '{}'{} (supported: {})", value,
         close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close), fmt::join(names, ", "));
  }

  // mergekit's dtype_from_name: an optional "torch." prefix, then the name.
  std::string dtype(const YAML::Node& node) const {
    std::string value = lower(text(node, "dtype"));
    if (value.rfind("torch.", 0) == 0) value = value.substr(6);
    if (value == "float32" || value == "fp32" || value == "float") return "float32";
    if (value == "bfloat16" || value == "bf16") return "bfloat16";
    if (value == "float16" || value == "fp16" || value == "half") return "float16";
    fail(node, "dtype", "unsupported dtype '{}' (supported: float32, bfloat16, float16)", node.Scalar());
  }

  // mergekit picks the output architectures whose name starts with the value.
  std::string architecture(const YAML::Node& node) const {
    std::string value = lower(text(node, "architecture"));
    if (!value.empty() && std::string("mixtral").rfind(value, 0) == 0) return "mixtral";
    for (const std::string& other : kOtherArchitectures)
      if (!value.empty() && other.rfind(value, 0) == 0)
        fail(node, "architecture", "'{}' output is not supported yet: moebench writes and evaluates "
             "Mixtral only (architecture: mixtral)", node.Scalar());
    fail(node, "architecture", "no output architecture matches '{}' (supported: mixtral)", node.Scalar());
  }

 private:
  std::string where_;
};

}  // namespace

std::optional<GateMode> parse_gate_mode(const std::string& name) {
  for (const auto& [known, mode] : kGateModes)
    if (name == known) return mode;
  return std::nullopt;
}

std::vector<GateMode> all_gate_modes() {
  return {GateMode::Hidden,         GateMode::HiddenAvg,   GateMode::CheapEmbed, GateMode::Random,
          GateMode::UniformRandom,  GateMode::RouterState, GateMode::Fitted};
}

const char* gate_mode_name(GateMode mode) {
  switch (mode) {
    case GateMode::Hidden: return "hidden";
    case GateMode::HiddenAvg: return "hidden_avg";
    case GateMode::CheapEmbed: return "cheap_embed";
    case GateMode::Random: return "random";
    case GateMode::UniformRandom: return "uniform_random";
    case GateMode::RouterState: return "router_state";
    case GateMode::Fitted: return "fitted";
  }
  return "?";
}

bool gate_mode_needs_experts(GateMode mode) {
  return mode == GateMode::RouterState || mode == GateMode::Fitted;
}

std::string MergeRecipe::where() const { return file.empty() ? std::string("recipe") : file.string(); }

MergeRecipe MergeRecipe::parse(const std::string& text, const std::string& where) {
  const YAML::Node root = io::parse_yaml_text(text, where);
  MergeRecipe r = Parser(where).recipe(root);
  r.text = text;
  return r;
}

MergeRecipe MergeRecipe::load(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail_input(file.string(), "recipe file not found");
  MergeRecipe r = parse(read_input_file(file, kMaxYamlBytes), file.string());
  r.file = file;
  return r;
}

bool is_recipe_path(const fs::path& path) {
  const std::string ext = lower(path.extension().string());
  return ext == ".yml" || ext == ".yaml";
}

}  // namespace moebench::merge

#include "harness/io/model_config.h"

#include <fmt/ranges.h>

#include <cmath>
#include <limits>

#include "harness/io/json_input.h"
#include "harness/util/error.h"
#include "harness/util/text.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace moebench::io {
namespace {

// Defaults of transformers' LlamaConfig / MistralConfig / MixtralConfig for the
// keys a config.json may omit (v4 classes; v5 keeps the same values).
struct Architecture {
  const char* name;
  const char* model_type;
  double rope_theta;                // Mixtral ships with 1e6; the others 10000
  double rms_norm_eps;              // 1e-6 except MixtralConfig's 1e-5
  int64_t max_position_embeddings;  // LlamaConfig 2048; Mistral/Mixtral 4096 * 32
  bool has_sliding_window;          // LlamaConfig has no such key: ignore it there
  bool is_moe;
};
constexpr Architecture kArchitectures[] = {
    {"LlamaForCausalLM", "llama", 1e4, 1e-6, 2048, false, false},
    {"MistralForCausalLM", "mistral", 1e4, 1e-6, 4096 * 32, true, false},
    {"MixtralForCausalLM", "mixtral", 1e6, 1e-5, 4096 * 32, true, true},
};
// Sizes beyond int32 are never real and would overflow the products computed
// from them (parameter counts, tensor shapes).
constexpr int64_t kMaxSize = std::numeric_limits<int32_t>::max();

// A value as it should appear in a message: JSON text, cut when very long.
std::string shown(const json& value) {
  std::string text = value.dump();
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

// Typed access to one JSON object; every error names `where` and the dotted field.
class Fields {
 public:
  Fields(const json& object, const std::string& where, std::string prefix = "")
      : object_(object), where_(where), prefix_(std::move(prefix)) {}

  // The value of `key`, or nullptr when it is absent or null.
  const json* find(const char* key) const {
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  [[noreturn]] void fail(const char* key, const char* expected, const json& got) const {
    fail_input(where_, "field '{}{}': expected {}, got {}", prefix_, key, expected, shown(got));
  }
  const json& require(const char* key, const char* expected) const {
    const json* value = find(key);
    if (!value) fail_input(where_, "field '{}{}' is missing (expected {})", prefix_, key, expected);
    return *value;
  }

  // A required field, or an optional one when `fallback` is given (absent/null -> fallback).
  int64_t positive_int(const char* key, std::optional<int64_t> fallback = std::nullopt) const {
    const json* value = fallback ? find(key) : &require(key, "a positive integer");
    if (!value) return *fallback;
    if (!value->is_number_integer() || int_value(*value) <= 0) fail(key, "a positive integer", *value);
    if (int_value(*value) > kMaxSize) fail(key, "a positive integer below 2^31", *value);
    return int_value(*value);
  }
  double positive_number(const char* key, std::optional<double> fallback = std::nullopt) const {
    const json* value = fallback ? find(key) : &require(key, "a positive number");
    if (!value) return *fallback;
    double x = value->is_number() ? value->get<double>() : 0.0;
    if (!std::isfinite(x) || x <= 0) fail(key, "a positive number", *value);
    return x;
  }
  bool boolean_or(const char* key, bool fallback) const {
    const json* value = find(key);
    if (!value) return fallback;
    if (!value->is_boolean()) fail(key, "true or false", *value);
    return value->get<bool>();
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    const json* value = find(key);
    if (!value) return fallback;
    if (!value->is_string()) fail(key, "a string", *value);
    return value->get<std::string>();
  }
  // Token ids: null means none, and so does a negative id (old Llama
  // conversions write -1 for "no such token").
  std::optional<int64_t> token_id(const char* key, const json& value) const {
    if (value.is_null()) return std::nullopt;
    if (!value.is_number_integer()) fail(key, "an integer token id", value);
    if (int_value(value) > kMaxSize) fail(key, "a token id below 2^31", value);
    return int_value(value) < 0 ? std::nullopt : std::optional<int64_t>(int_value(value));
  }

 private:
  // nlohmann stores integers above INT64_MAX as unsigned: clamp them so range checks see them.
  static int64_t int_value(const json& value) {
    if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(kMaxSize)) return kMaxSize + 1;
    return value.get<int64_t>();
  }

  const json& object_;
  const std::string& where_;
  std::string prefix_;
};

const Architecture& find_architecture(const json& j, const std::string& where) {
  const json& list = Fields(j, where).require("architectures", "a list such as [\"MixtralForCausalLM\"]");
  if (!list.is_array() || list.empty() || !list[0].is_string())
    fail_input(where, "field 'architectures': expected a non-empty list of architecture names, got {}",
               shown(list));
  std::string name = list[0].get<std::string>();
  for (const Architecture& a : kArchitectures)
    if (name == a.name) return a;
  std::string suggestion = closest_match(name, supported_architectures());
  fail_input(where, "field 'architectures': unsupported architecture \"{}\"; supported: {}{}", name,
             fmt::join(supported_architectures(), ", "),
             suggestion.empty() ? "" : " (did you mean " + suggestion + "?)");
}

// A rope_scaling object (v4) or rope_parameters object (v5): the type key is
// "rope_type" (current) or "type" (older files), both accepted.
RopeScaling parse_rope_scaling(const json& object, const std::string& where,
                               const std::string& field, bool type_required) {
  if (!object.is_object())
    fail_input(where, "field '{}': expected an object or null, got {}", field, shown(object));
  Fields f(object, where, field + ".");
  const char* type_key = f.find("rope_type") ? "rope_type" : "type";
  RopeScaling rope;
  if (!f.find(type_key)) {
    if (type_required) f.require("type", "\"default\", \"linear\" or \"llama3\"");
    return rope;
  }
  std::string type = f.string_or(type_key, "default");
  if (type == "default") return rope;
  if (type != "linear" && type != "llama3")
    fail_input(where, "field '{}.{}': unsupported RoPE scaling \"{}\"; supported: default, linear, llama3",
               field, type_key, type);
  rope.factor = f.positive_number("factor");
  rope.type = type == "linear" ? RopeScaling::Type::Linear : RopeScaling::Type::Llama3;
  if (rope.type == RopeScaling::Type::Linear) return rope;
  rope.low_freq_factor = f.positive_number("low_freq_factor");
  rope.high_freq_factor = f.positive_number("high_freq_factor");
  rope.original_max_position_embeddings = f.positive_int("original_max_position_embeddings");
  // The llama3 schedule interpolates over (high - low); equal factors divide by zero.
  if (rope.high_freq_factor <= rope.low_freq_factor)
    fail_input(where, "field '{}': high_freq_factor ({}) must be greater than low_freq_factor ({})", field,
               rope.high_freq_factor, rope.low_freq_factor);
  return rope;
}

}  // namespace

std::vector<std::string> supported_architectures() {
  std::vector<std::string> names;
  for (const Architecture& a : kArchitectures) names.push_back(a.name);
  return names;
}

ModelConfig ModelConfig::from_json(const json& j, const std::string& where) {
  if (!j.is_object()) fail_input(where, "expected a JSON object, got {}", shown(j));
  const Architecture& arch = find_architecture(j, where);
  Fields f(j, where);
  ModelConfig c;
  c.architecture = arch.name;
  c.model_type = arch.model_type;
  std::string model_type = f.string_or("model_type", arch.model_type);
  if (model_type != arch.model_type)
    fail_input(where, "field 'model_type': \"{}\" does not match architecture {} (expected \"{}\")",
               model_type, arch.name, arch.model_type);

  c.hidden_size = f.positive_int("hidden_size");
  c.intermediate_size = f.positive_int("intermediate_size");
  c.num_layers = f.positive_int("num_hidden_layers");
  c.num_heads = f.positive_int("num_attention_heads");
  c.num_kv_heads = f.positive_int("num_key_value_heads", c.num_heads);
  c.vocab_size = f.positive_int("vocab_size");
  c.max_position_embeddings = f.positive_int("max_position_embeddings", arch.max_position_embeddings);
  // An explicit head_dim may differ from hidden / heads (Mistral-Nemo); the default must divide.
  if (!f.find("head_dim") && c.hidden_size % c.num_heads != 0)
    fail_input(where, "hidden_size ({}) is not divisible by num_attention_heads ({}) and no head_dim is given",
               c.hidden_size, c.num_heads);
  c.head_dim = f.positive_int("head_dim", c.hidden_size / c.num_heads);
  if (c.num_heads % c.num_kv_heads != 0)
    fail_input(where, "num_attention_heads ({}) is not a multiple of num_key_value_heads ({})", c.num_heads,
               c.num_kv_heads);

  c.rms_norm_eps = f.positive_number("rms_norm_eps", arch.rms_norm_eps);
  c.rope_theta = f.positive_number("rope_theta", arch.rope_theta);
  if (const json* params = f.find("rope_parameters")) {  // transformers v5
    c.rope_scaling = parse_rope_scaling(*params, where, "rope_parameters", false);
    c.rope_theta = Fields(*params, where, "rope_parameters.").positive_number("rope_theta", c.rope_theta);
  }
  if (const json* scaling = f.find("rope_scaling"))  // v4; wins over rope_parameters' type
    c.rope_scaling = parse_rope_scaling(*scaling, where, "rope_scaling", true);

  c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", false);
  // What the transformer implements: SwiGLU MLPs and bias-free projections.
  const std::string act = f.string_or("hidden_act", "silu");
  if (act != "silu")
    fail_input(where, "field 'hidden_act': only \"silu\" (SwiGLU) is supported, got \"{}\"", act);
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    if (f.boolean_or(key, false))
      fail_input(where, "field '{}': projections with biases are not supported (got true)", key);
  }
  if (arch.has_sliding_window && f.find("sliding_window"))
    c.sliding_window = f.positive_int("sliding_window");
  if (arch.is_moe) {
    // MixtralConfig defaults: 8 experts, top-2.
    c.num_experts = f.positive_int("num_local_experts", 8);
    c.experts_per_token = f.positive_int("num_experts_per_tok", 2);
    if (c.experts_per_token > c.num_experts)
      fail_input(where, "num_experts_per_tok ({}) exceeds num_local_experts ({})", c.experts_per_token,
                 c.num_experts);
  }

  // transformers' defaults when a key is absent: bos 1, eos 2, no pad.
  c.bos_token_id = f.token_id("bos_token_id", j.value("bos_token_id", json(1)));
  c.pad_token_id = f.token_id("pad_token_id", j.value("pad_token_id", json()));
  const json eos = j.value("eos_token_id", json(2));
  for (const json& id : eos.is_array() ? eos : json::array({eos}))
    if (auto value = f.token_id("eos_token_id", id)) c.eos_token_ids.push_back(*value);

  // transformers v5 writes "dtype"; v4 "torch_dtype".
  c.torch_dtype = f.string_or("dtype", f.string_or("torch_dtype", ""));
  c.raw = j;
  return c;
}

ModelConfig ModelConfig::load(const fs::path& model_dir) {
  std::error_code ec;
  const auto dir_status = fs::status(model_dir, ec);
  if (!fs::exists(dir_status))
    fail_input(model_dir.string(), "not found: expected a model directory with a config.json");
  if (!fs::is_directory(dir_status))
    fail_input(model_dir.string(),
               "is a file, expected a model directory (config.json, *.safetensors, "
               "tokenizer.model) or a recipe (.yml)");
  fs::path path = model_dir / "config.json";
  if (!fs::is_regular_file(path, ec))
    fail_input(path.string(), "not found (a Hugging Face model directory needs a config.json)");
  ModelConfig config = from_json(read_json_file(path), path.string());
  config.file = path.string();
  return config;
}

}  // namespace moebench::io

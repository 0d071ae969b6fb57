#include "harness/merge/gates_file.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <regex>

#include <nlohmann/json.hpp>

#include "harness/io/safetensors_file.h"
#include "harness/io/safetensors_writer.h"
#include "harness/model/cpu_threads.h"
#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"
#include "harness/util/fnv.h"

namespace fs = std::filesystem;

namespace moebench::merge {

void write_gates_file(const fs::path& path, const GateSet& gates,
                      const std::map<std::string, std::string>& metadata) {
  std::map<std::string, std::string> meta = metadata;
  meta["format"] = "pt";
  std::vector<io::TensorData> tensors;
  for (int64_t l = 0; l < gates.layers; ++l)
    tensors.push_back({{fmt::format("model.layers.{}.block_sparse_moe.gate.weight", l), io::DType::F32,
                        {gates.experts, gates.hidden}},
                       gates.row(l, 0)});
  io::write_safetensors(path, tensors, meta);
}

GateSet read_gates_file(const fs::path& path) {
  const std::string where = path.string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail_input(where, "gates file not found");
  auto file = io::SafetensorsFile::open(path);
  // Both Mixtral layouts name the router; other tensors (a whole checkpoint) are ignored.
  static const std::regex kRouter(R"(model\.layers\.(\d+)\.(block_sparse_moe|mlp)\.gate\.weight)");
  std::map<int64_t, io::TensorView> layers;
  for (const std::string& name : file->names()) {
    std::smatch m;
    if (!std::regex_match(name, m, kRouter)) continue;
    const int64_t layer = std::stoll(m[1].str().substr(0, 9));
    if (!layers.emplace(layer, file->get(name)).second)
      fail_input(where, "layer {} has two router tensors (both Mixtral layouts?)", layer);
  }
  if (layers.empty())
    fail_input(where, "no router tensors (model.layers.<l>.block_sparse_moe.gate.weight) in this file");
  GateSet gates;
  gates.layers = static_cast<int64_t>(layers.size());
  int64_t expected = 0;
  for (const auto& [layer, view] : layers) {
    if (layer != expected++)
      fail_input(where, "has no gates for layer {} (the next router is layer {})", expected - 1, layer);
    if (view.shape.size() != 2 || (gates.experts && (view.shape[0] != gates.experts || view.shape[1] != gates.hidden)))
      fail_input(where, "layer {}: router '{}' has shape [{}], expected [experts, hidden]{}", layer, view.name,
                 fmt::join(view.shape, ", "),
                 gates.experts ? fmt::format(" = [{}, {}] as layer 0", gates.experts, gates.hidden) : "");
    if (view.dtype != io::DType::F32 && view.dtype != io::DType::BF16 && view.dtype != io::DType::F16)
      fail_input(where, "layer {}: router '{}' has dtype {}, expected F32, BF16 or F16", layer, view.name,
                 io::dtype_name(view.dtype));
    gates.experts = view.shape[0], gates.hidden = view.shape[1];
    const at::ScalarType type = view.dtype == io::DType::F32    ? at::kFloat
                                : view.dtype == io::DType::BF16 ? at::kBFloat16
                                                                : at::kHalf;
    // clone first: the mapped bytes need not be aligned for their dtype
    at::Tensor t = at::from_blob(const_cast<std::byte*>(view.data), {static_cast<int64_t>(view.nbytes)}, at::kByte)
                       .clone().view(type).to(at::kFloat).contiguous();
    gates.values.insert(gates.values.end(), t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }
  return gates;
}

GateSet recipe_gates(const MergeInputs& in, const MergeOptions& options) {
  if (options.gates_file.empty()) return compute_gates(in, options);
  GateSet gates = read_gates_file(options.gates_file);
  check_gates_shape(gates, in.config.num_layers, in.config.num_experts, in.config.hidden_size,
                    options.gates_file.string());
  check_gates_fit(read_gates_lineage(options.gates_file), in.recipe, options.gates_file.string());
  return gates;
}

std::map<std::string, std::string> gates_metadata(const MergeRecipe& recipe, uint64_t seed) {
  nlohmann::json experts = nlohmann::json::array();
  for (const ExpertRecipe& e : recipe.experts)
    experts.push_back({{"source_model", e.source_model},
                       {"positive_prompts", e.positive_prompts},
                       {"negative_prompts", e.negative_prompts}});
  return {{"gate_mode", gate_mode_name(recipe.gate_mode)},
          {"base_model", recipe.base_model},
          {"recipe", recipe.where()},
          {"experts", experts.dump()},
          {"seed", std::to_string(seed)},
          {"produced_by", "moebench gates"}};
}

GatesLineage read_gates_lineage(const fs::path& path) {
  const std::string where = path.string();
  const auto file = io::SafetensorsFile::open(path);
  const auto& meta = file->metadata();
  auto value = [&](const char* key) {
    auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
  };
  GatesLineage out{value("gate_mode"), value("base_model"), value("recipe"), {}};
  const std::string experts = value("experts");
  if (experts.empty()) return out;
  const nlohmann::json j = nlohmann::json::parse(experts, nullptr, /*allow_exceptions=*/false);
  auto strings = [&](const nlohmann::json& e, const char* key) {
    std::vector<std::string> list;
    for (const auto& p : e.value(key, nlohmann::json::array())) {
      if (!p.is_string()) fail_input(where, "__metadata__ 'experts': '{}' holds a non-string", key);
      list.push_back(p.get<std::string>());
    }
    return list;
  };
  if (!j.is_array()) fail_input(where, "__metadata__ 'experts' is not a JSON list of experts");
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("source_model") || !e["source_model"].is_string())
      fail_input(where, "__metadata__ 'experts': an entry has no 'source_model' string");
    ExpertRecipe x;
    x.source_model = e["source_model"].get<std::string>();
    x.positive_prompts = strings(e, "positive_prompts");
    x.negative_prompts = strings(e, "negative_prompts");
    out.experts.push_back(std::move(x));
  }
  return out;
}

void check_gates_fit(const GatesLineage& lineage, const MergeRecipe& recipe, const std::string& file) {
  if (!lineage.gate_mode.empty() && !parse_gate_mode(lineage.gate_mode))
    fail_input(file, "__metadata__ 'gate_mode': '{}' is no gate mode moebench knows; these are not router "
               "weights it can vouch for (remake them with `moebench gates`)", lineage.gate_mode);
  if (lineage.experts.empty()) return;
  std::vector<std::string> made_for, has;
  for (const auto& e : lineage.experts) made_for.push_back(e.source_model);
  for (const auto& e : recipe.experts) has.push_back(e.source_model);
  if (made_for != has)
    fail_input(file, "these gates were made for the experts [{}], but {} has [{}]; router row e must belong to "
               "expert e, so they would route to the wrong experts (remake them with `moebench gates {}`)",
               fmt::join(made_for, ", "), recipe.where(), fmt::join(has, ", "), recipe.where());
}

std::string gates_hash(const GateSet& gates) {
  uint64_t h = kFnvOffset;
  for (int64_t d : {gates.layers, gates.experts, gates.hidden}) h = fnv1a64(&d, sizeof d, h);
  return fnv_hex(fnv1a64(gates.values.data(), gates.values.size() * sizeof(float), h));
}

GateSet model_gates(const model::LanguageModel& lm) {
  const auto& weights = lm.runtime().transformer().weights();
  const io::ModelConfig& c = lm.config();
  GateSet out{c.num_layers, c.num_experts, c.hidden_size, {}};
  for (const auto& layer : weights.layers) {
    const at::Tensor r = layer.router.to(at::kCPU, at::kFloat).contiguous();
    out.values.insert(out.values.end(), r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
  }
  return out;
}

GatesSummary recipe_gates_to_file(const MergeRecipe& recipe, const fs::path& out, const MergeOptions& options) {
  model::use_cpu_threads(options.threads);
  MergeInputs in = open_merge_inputs(
      recipe, options, gate_mode_needs_experts(recipe.gate_mode) ? InputScope::Full : InputScope::GatesOnly);
  const auto start = std::chrono::steady_clock::now();
  GatesSummary summary;
  summary.gates = compute_gates(in, options);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.diagnostics = diagnose_gates(summary.gates, gate_reading(recipe.gate_mode));
  write_gates_file(out, summary.gates, gates_metadata(recipe, options.seed));
  return summary;
}

void check_gates_shape(const GateSet& gates, int64_t layers, int64_t experts, int64_t hidden,
                       const std::string& file) {
  if (gates.layers == layers && gates.experts == experts && gates.hidden == hidden) return;
  // The first difference in the file's own terms, then the whole shape.
  std::string first;
  if (gates.layers < layers)
    first = fmt::format("no gates for layer {} (expected tensor 'model.layers.{}.block_sparse_moe.gate.weight')",
                        gates.layers, gates.layers);
  else if (gates.layers > layers)
    first = fmt::format("has gates for layer {} but the model has {} layers", layers, layers);
  else
    first = fmt::format("layer 0: 'model.layers.0.block_sparse_moe.gate.weight' has shape [{}, {}], but the "
                        "model's router is [{}, {}]", gates.experts, gates.hidden, experts, hidden);
  fail_input(file, "{}; gates for {} layers x {} experts x {} hidden, but the model has {} x {} x {}", first,
             gates.layers, gates.experts, gates.hidden, layers, experts, hidden);
}

}  // namespace moebench::merge

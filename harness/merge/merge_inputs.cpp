#include "harness/merge/merge_inputs.h"

#include <fmt/ranges.h>

#include <map>

#include "harness/io/json_input.h"
#include "harness/merge/merge_plan.h"
#include "harness/merge/mixtral_config.h"
#include "harness/merge/recipe_checks.h"
#include "harness/util/error.h"
#include "harness/util/output_path.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace moebench::merge {
namespace {

// Reads config.json, refusing architectures mergekit's Mixtral output cannot
// take (Phi, Qwen, a Mixtral, ...) with a merge-specific message before the
// loader's generic "unsupported architecture" could fire.
io::ModelConfig read_config(const ResolvedModel& m, const std::string& field) {
  const fs::path path = m.dir / "config.json";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    fail_input(field, "'{}' ({}) has no config.json: not a Hugging Face model directory", m.reference,
               m.dir.string());
  const json raw = io::read_json_file(path);
  std::string arch = "?", type = "?";
  if (raw.is_object()) {
    auto a = raw.find("architectures");
    if (a != raw.end() && a->is_array() && !a->empty() && (*a)[0].is_string()) arch = (*a)[0];
    auto t = raw.find("model_type");
    if (t != raw.end() && t->is_string()) type = *t;
  }
  const bool supported = arch == "LlamaForCausalLM" || arch == "MistralForCausalLM" ||
                         (arch == "?" && (type == "llama" || type == "mistral"));
  if (!supported)
    fail_input(field, "'{}' is a {} model (model_type '{}', {}): merging it is not supported yet; "
               "moebench builds Mixtral frankenMoEs, which need Llama or Mistral models (as "
               "mergekit-moe's Mixtral output does)", m.reference, arch, type, path.string());
  return io::ModelConfig::from_json(raw, path.string());
}

// Experts must fit the base's MLP slots; the vocabulary must match because the
// experts are chosen for the base's tokens.
void check_compatible(const SourceModel& expert, const SourceModel& base) {
  const io::ModelConfig &e = expert.config, &b = base.config;
  if (e.model_type != b.model_type)
    fail_input(expert.field, "'{}' is a {} model but the base '{}' is {}; mergekit's Mixtral output "
               "needs every model to have the same architecture", expert.where.reference,
               e.model_type, base.where.reference, b.model_type);
  const std::pair<const char*, std::pair<int64_t, int64_t>> sizes[] = {
      {"hidden_size", {e.hidden_size, b.hidden_size}},
      {"intermediate_size", {e.intermediate_size, b.intermediate_size}},
      {"num_hidden_layers", {e.num_layers, b.num_layers}},
      {"vocab_size", {e.vocab_size, b.vocab_size}}};
  for (const auto& [key, values] : sizes)
    if (values.first != values.second)
      fail_input(expert.field, "'{}' has {} {} but the base '{}' has {}; every expert must have the "
                 "base's shape and vocabulary", expert.where.reference, key, values.first,
                 base.where.reference, values.second);
}

// Opens each directory once, however many experts name it.
std::shared_ptr<const io::TensorStore> open_store(const fs::path& dir,
                                                  std::map<fs::path, std::shared_ptr<const io::TensorStore>>& open) {
  auto& store = open[dir];
  if (!store) store = io::TensorStore::open(dir);
  return store;
}

// Checks one source tensor's presence, shape and dtype from the header alone.
void check_tensor(const SourceModel& source, const std::string& name, const std::vector<int64_t>& shape) {
  if (!source.store->contains(name))
    fail_input(source.field, "'{}' ({}) has no tensor '{}'", source.where.reference, source.where.dir.string(), name);
  io::TensorView view = source.store->get(name);
  if (view.shape != shape)
    fail_input(source.field, "'{}': tensor '{}' has shape [{}], expected [{}] from the base's config",
               source.where.reference, name, fmt::join(view.shape, ", "), fmt::join(shape, ", "));
  if (view.dtype != io::DType::F32 && view.dtype != io::DType::BF16 && view.dtype != io::DType::F16)
    fail_input(source.field, "'{}': tensor '{}' has dtype {}, expected F32, BF16 or F16",
               source.where.reference, name, io::dtype_name(view.dtype));
}

io::DType output_dtype(const MergeRecipe& recipe, const SourceModel& base) {
  // mergekit's select_dtype: the recipe's dtype, else the base's torch_dtype;
  // failing both it keeps each tensor's own dtype: we take the embedding's.
  const std::string name = recipe.dtype.empty() ? base.config.torch_dtype : recipe.dtype;
  if (name == "float32") return io::DType::F32;
  if (name == "bfloat16") return io::DType::BF16;
  if (name == "float16") return io::DType::F16;
  return base.store->get("model.embed_tokens.weight").dtype;
}

const char* dtype_config_name(io::DType dtype) {
  return dtype == io::DType::BF16 ? "bfloat16" : dtype == io::DType::F16 ? "float16" : "float32";
}

}  // namespace

std::vector<fs::path> model_search_dirs(const MergeRecipe& recipe, const MergeOptions& options) {
  if (!options.search_dirs.empty()) return options.search_dirs;
  std::vector<fs::path> dirs;
  if (!recipe.file.empty()) dirs.push_back(fs::absolute(recipe.file).parent_path());
  dirs.push_back(fs::current_path());
  return dirs;
}

void check_output_apart_from_inputs(const MergeRecipe& recipe, const MergeOptions& options, const fs::path& out,
                                    const std::string& flag) {
  if (!recipe.file.empty()) check_output_apart(out, flag, recipe.file, "the recipe");
  if (!options.gates_file.empty()) check_output_apart(out, flag, options.gates_file, "the --gates file");
  const auto search = model_search_dirs(recipe, options);
  auto check_model = [&](const std::string& reference, const std::string& field) {
    ResolvedModel model;
    try {
      model = resolve_model(reference, field, search);
    } catch (const InputError&) {
      return;  // open_merge_inputs says why, in its own order of checks
    }
    check_output_apart(out, flag, model.dir, fmt::format("{} '{}'", field, reference));
  };
  check_model(recipe.base_model, "base_model");
  for (size_t i = 0; i < recipe.experts.size(); ++i)
    check_model(recipe.experts[i].source_model, fmt::format("experts[{}].source_model", i));
}

MergeInputs open_merge_inputs(const MergeRecipe& recipe, const MergeOptions& options, InputScope scope) {
  MergeInputs in;
  in.recipe = recipe;
  const auto search = model_search_dirs(recipe, options);
  std::map<fs::path, std::shared_ptr<const io::TensorStore>> stores;

  // An unsupported base architecture comes first: no recipe edit could fix it.
  in.base.field = "base_model";
  in.base.where = resolve_model(recipe.base_model, in.base.field, search);
  in.base.config = read_config(in.base.where, in.base.field);
  check_recipe(recipe, options.allow_all_same);
  if (scope == InputScope::Full) {
    for (size_t i = 0; i < recipe.experts.size(); ++i) {  // configs first: cheap, catch most mistakes
      SourceModel e;
      e.field = fmt::format("experts[{}].source_model", i);
      e.where = resolve_model(recipe.experts[i].source_model, e.field, search);
      e.config = read_config(e.where, e.field);
      check_compatible(e, in.base);
      in.experts.push_back(std::move(e));
    }
  }
  try {
    in.tokenizer = io::Tokenizer::load(in.base.where.dir);
  } catch (const InputError& e) {
    fail_input(in.base.field, "the base model '{}' needs a tokenizer (prompts are tokenised with it and "
               "it is copied into the merged model): {}", recipe.base_model, e.what());
  }
  in.base.store = open_store(in.base.where.dir, stores);
  for (SourceModel& e : in.experts) e.store = open_store(e.where.dir, stores);

  in.out_dtype = output_dtype(recipe, in.base);
  const int64_t num_experts = static_cast<int64_t>(recipe.experts.size());
  in.config_json = mixtral_config_json(in.base.config, num_experts, recipe.experts_per_token,
                                       dtype_config_name(in.out_dtype));
  in.config = io::ModelConfig::from_json(json(in.config_json), recipe.where() + " (merged config.json)");

  for (const TensorRef& ref : merged_tensors(in.config)) {
    const auto shape = tensor_shape(in.config, ref);
    if (from_base(ref.part)) check_tensor(in.base, source_name(ref), shape);
    if (from_expert(ref.part) && scope == InputScope::Full)
      check_tensor(in.experts[ref.expert], source_name(ref), shape);
  }
  return in;
}

}  // namespace moebench::merge

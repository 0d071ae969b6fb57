#include "harness/model/language_model.h"

#include <ATen/core/grad_mode.h>

#include <fmt/ranges.h>

#include <cctype>
#include <optional>

#include "harness/io/tensor_store.h"
#include "harness/model/cpu_threads.h"
#include "harness/model/language_model_impl.h"
#include "harness/util/error.h"
#include "harness/util/thread_count.h"

namespace moebench::model {

namespace {

std::string option_name(const LoadOptions& options, const char* key) {
  return options.origin.empty() ? fmt::format("--{}", key)
                                : fmt::format("{}: field '{}'", options.origin, key);
}

// nullopt when `name` is not a dtype we compute in.
std::optional<at::ScalarType> compute_dtype(const std::string& name) {
  const std::string canonical = canonical_dtype(name);
  if (canonical == "float32") return at::kFloat;
  if (canonical == "bfloat16") return at::kBFloat16;
  if (canonical == "float16") return at::kHalf;
  return std::nullopt;
}

at::Device parse_device(const LoadOptions& options) {
  const std::string& dev = options.device;
  const bool cuda = dev == "cuda" || (dev.rfind("cuda:", 0) == 0 && dev.size() > 5 &&
                                      dev.find_first_not_of("0123456789", 5) == std::string::npos &&
                                      dev.size() <= 8);
  if (dev != "cpu" && !cuda)
    fail_input(option_name(options, "device"), "expected cpu, cuda or cuda:N, got '{}'", dev);
  if (cuda && !at::hasCUDA())
    fail_input(option_name(options, "device"),
               "'{}' requested but this build or machine has no CUDA", dev);
  return cuda ? at::Device(dev) : at::Device(at::kCPU);
}

}  // namespace

std::string canonical_dtype(const std::string& name) {
  if (name == "float32" || name == "fp32" || name == "f32") return "float32";
  if (name == "bfloat16" || name == "bf16") return "bfloat16";
  if (name == "float16" || name == "fp16" || name == "half") return "float16";
  return "";
}

void check_load_options(const LoadOptions& options) {
  parse_device(options);
  if (options.dtype != "auto" && !compute_dtype(options.dtype))
    fail_input(option_name(options, "dtype"), "expected float32, bfloat16, float16 or auto, got '{}'",
               options.dtype);
  check_thread_count(options.threads, option_name(options, "threads"));
}

TensorPlacement parse_placement(const LoadOptions& options, const io::ModelConfig& config) {
  check_load_options(options);
  TensorPlacement p;
  p.device = parse_device(options);
  if (options.dtype != "auto") {
    p.dtype = *compute_dtype(options.dtype);
  } else if (config.torch_dtype.empty()) {
    p.dtype = at::kFloat;
  } else if (auto type = compute_dtype(config.torch_dtype)) {
    p.dtype = *type;
  } else {
    fail_input(config.file.empty() ? "config.json" : config.file,
               "field 'torch_dtype' is '{}', which {} auto cannot run in (float32, bfloat16 or "
               "float16); give {} explicitly",
               config.torch_dtype, option_name(options, "dtype"), option_name(options, "dtype"));
  }
  return p;
}

ForwardBatch make_batch(const std::vector<const std::vector<int32_t>*>& rows,
                        std::vector<int64_t> row_request, int32_t pad_id) {
  const int64_t B = static_cast<int64_t>(rows.size());
  int64_t T = 0;
  for (const auto* r : rows) T = std::max<int64_t>(T, static_cast<int64_t>(r->size()));
  at::Tensor ids = at::full({B, T}, pad_id, at::kLong);
  at::Tensor valid = at::zeros({B, T}, at::kBool);
  auto ids_a = ids.accessor<int64_t, 2>();
  auto valid_a = valid.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    for (size_t t = 0; t < rows[b]->size(); ++t) {
      ids_a[b][t] = (*rows[b])[t];
      valid_a[b][t] = true;
    }
  }
  return {ids, at::zeros({B}, at::kLong), valid, std::move(row_request)};
}

TransformerRuntime::TransformerRuntime(std::shared_ptr<const ModelWeights> weights,
                                       std::shared_ptr<const io::Tokenizer> tokenizer, int forced_expert)
    : transformer_(std::move(weights), forced_expert), tokenizer_(std::move(tokenizer)) {}

void TransformerRuntime::check_ids(const std::vector<int32_t>& ids, const std::string& what) const {
  const int64_t vocab = config().vocab_size;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab) {
      fail_input(what, "token id {} is outside the vocabulary [0, {})", id, vocab);
    }
  }
}

std::shared_ptr<LanguageModel> LanguageModel::load(const std::filesystem::path& model_dir,
                                                   const LoadOptions& options) {
  io::ModelConfig config = io::ModelConfig::load(model_dir);
  TensorPlacement placement = parse_placement(options, config);
  use_cpu_threads(options.threads);
  auto tokenizer = io::Tokenizer::load(model_dir);
  auto store = io::TensorStore::open(model_dir);
  auto weights = load_model_weights(config, store, placement);
  return std::make_shared<LanguageModel>(
      std::make_unique<TransformerRuntime>(std::move(weights), std::move(tokenizer)));
}

std::shared_ptr<LanguageModel> LanguageModel::with_routers(const std::vector<float>& routers,
                                                           int64_t experts_per_token) const {
  const io::ModelConfig& c = config();
  const int64_t per_layer = c.num_experts * c.hidden_size;
  if (!c.is_moe() || static_cast<int64_t>(routers.size()) != c.num_layers * per_layer)
    throw std::invalid_argument(fmt::format("with_routers: {} values for {} layers x {} experts x {} hidden",
                                            routers.size(), c.num_layers, c.num_experts, c.hidden_size));
  if (experts_per_token < 0 || experts_per_token > c.num_experts)
    throw std::invalid_argument(fmt::format("with_routers: {} experts per token, but the model has {} experts",
                                            experts_per_token, c.num_experts));
  const ModelWeights& weights = runtime_->transformer().weights();
  auto out = std::make_shared<ModelWeights>(weights);  // tensors shared; only routers replaced
  if (experts_per_token > 0) {
    out->config.experts_per_token = experts_per_token;
    out->config.raw["num_experts_per_tok"] = experts_per_token;  // what config.json would say
  }
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const at::Tensor& old = weights.layers[l].router;
    out->layers[l].router = at::from_blob(const_cast<float*>(routers.data()) + l * per_layer,
                                          {c.num_experts, c.hidden_size}, at::kFloat)
                                .to(old.device(), old.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
  }
  return std::make_shared<LanguageModel>(std::make_unique<TransformerRuntime>(
      std::move(out), runtime_->tokenizer_ptr(), forced_expert()));  // a forced model stays forced
}

std::shared_ptr<LanguageModel> LanguageModel::with_forced_expert(int expert,
                                                                 const std::string& model_name) const {
  const io::ModelConfig& c = config();
  if (!c.is_moe())
    fail_input(model_name, "cannot force expert {}: a dense {} has no experts", expert, c.architecture);
  if (expert < 0 || expert >= c.num_experts)
    fail_input(model_name, "cannot force expert {}: the model's experts are 0 to {}", expert, c.num_experts - 1);
  return std::make_shared<LanguageModel>(std::make_unique<TransformerRuntime>(
      runtime_->transformer().weights_ptr(), runtime_->tokenizer_ptr(), expert));
}

int LanguageModel::forced_expert() const { return runtime_->transformer().forced_expert(); }

LanguageModel::LanguageModel(std::unique_ptr<TransformerRuntime> runtime)
    : runtime_(std::move(runtime)) {}
LanguageModel::~LanguageModel() = default;

const io::ModelConfig& LanguageModel::config() const { return runtime_->config(); }
const io::Tokenizer& LanguageModel::tokenizer() const { return runtime_->tokenizer(); }
int64_t LanguageModel::max_length() const { return config().max_position_embeddings; }
std::string LanguageModel::device() const { return runtime_->device().str(); }
std::string LanguageModel::dtype() const {
  switch (runtime_->transformer().weights().embed.scalar_type()) {
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    default: return "float32";
  }
}

std::vector<std::vector<float>> LanguageModel::logits(const std::vector<int32_t>& ids,
                                                      RoutingSink* routing) const {
  if (ids.empty()) fail_input("--ids", "expected at least one token id");
  runtime_->check_ids(ids, "--ids");
  c10::InferenceMode guard;
  ForwardBatch batch = make_batch({&ids}, {0}, 0);
  at::Tensor hidden = runtime_->transformer().forward(batch, nullptr, {routing, nullptr});
  at::Tensor logits = runtime_->transformer().logits(hidden[0]).to(at::kCPU).contiguous();
  std::vector<std::vector<float>> out(ids.size());
  const float* data = logits.data_ptr<float>();
  const int64_t V = logits.size(1);
  for (size_t t = 0; t < ids.size(); ++t) out[t].assign(data + t * V, data + (t + 1) * V);
  return out;
}

}  // namespace moebench::model
